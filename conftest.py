"""Suite-wide guards and fixtures."""

import pytest
from django.conf import settings

# Shared fakes and fixtures: TikTok (signing, fake API, `tiktok_settings`), a real Dramatiq worker, and a
# fake OpenAI-compatible API (`fake_openai`, `ai_settings`), a fake push endpoint for owner notifications
# (`push_receiver`, `notify_settings`), and a fake Stripe API (`testing.stripe`).
pytest_plugins = [
    "testing.tiktok",
    "testing.workers",
    "testing.fake_openai",
    "testing.push_receiver",
    "testing.browser",
    "testing.stripe",
    "pytester",  # runs a pytest of its own (the browser fixture's screenshot of a failing test)
]


def pytest_configure(config: pytest.Config) -> None:
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine != "django.db.backends.postgresql":
        raise pytest.UsageError(
            f"The tests need PostgreSQL (row locks are part of what they check), but DATABASE_URL gives {engine}. "
            "Unset DATABASE_URL to use postgres://postgres@127.0.0.1:5432/philia, or point it at PostgreSQL."
        )


@pytest.fixture(autouse=True)
def closed_webhook_circuit() -> None:
    """Each test starts with the webhook's broker circuit closed (a test that broke the broker opened it)."""
    from tiktok.circuit import webhook_circuit

    webhook_circuit.succeeded()
