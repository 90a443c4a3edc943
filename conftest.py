"""Suite-wide guards and fixtures."""

import pytest

# Shared fakes and fixtures: TikTok (signing, fake API, `tiktok_settings`), a real Dramatiq worker, and a
# fake OpenAI-compatible API (`fake_openai`, `ai_settings`), a fake push endpoint for owner notifications
# (`push_receiver`, `notify_settings`), a fake Stripe API (`testing.stripe`) and a fake Sentry (`fake_sentry`).
pytest_plugins = [
    "testing.tiktok",
    "testing.workers",
    "testing.fake_openai",
    "testing.push_receiver",
    "testing.browser",
    "testing.stripe",
    "testing.fake_sentry",
    "pytester",  # runs a pytest of its own (the browser fixture's screenshot of a failing test)
]


@pytest.fixture(autouse=True)
def closed_webhook_circuit() -> None:
    """Each test starts with the webhook's broker circuit closed (a test that broke the broker opened it)."""
    from tiktok.circuit import webhook_circuit

    webhook_circuit.succeeded()


@pytest.fixture(autouse=True)
def stock_facts_read_again() -> None:
    """Each test reads the stock's brands and drops from its own database (the process keeps them a while)."""
    from inventory.selectors import forget_stock_facts

    forget_stock_facts()


@pytest.fixture(autouse=True)
def hand_set_scorer_weights() -> None:
    """Each test's scorer starts with the hand-set weights kept in the process, as after a first read with none adopted
    (no query for them); a test of adopted weights calls `forget_weights` to read its own database."""
    from propositions.scoring import WEIGHTS
    from propositions.weights import use_weights

    use_weights(WEIGHTS)
