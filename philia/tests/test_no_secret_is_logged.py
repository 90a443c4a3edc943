"""No secret is ever logged or stored in an error text: with every secret setting set to a known value, a
conversation through the webhook and the worker, a failed TikTok send, a failed token refresh, a failed
OpenAI call, a bad-signature delivery and admin logins are run with every log captured at DEBUG; neither
the logs nor any stored error, reason or output contains one of those values."""

import logging
import os
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from conversations.models import Message
from inventory.seed_data import SEED_ITEMS
from inventory.services import add_items
from testing.fake_openai import failure
from testing.tiktok import REFRESH_PATH, SEND_PATH, Reply, error, im_receive_msg_body, post_webhook
from tiktok.credentials import refresh_access_token_if_expiring, store_tokens
from tiktok.models import TikTokCredential, WebhookEvent

# transaction=True: the real Dramatiq worker's threads must see the committed rows.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("tiktok_settings")]

SECRETS = {
    "SECRET_KEY": "known-django-secret-key-5b1f0c9e7d",
    "TIKTOK_APP_SECRET": "known-tiktok-app-secret-93ad71",
    "TIKTOK_ACCESS_TOKEN": "known-tiktok-access-token-c0ffee",
    "OPENAI_API_KEY": "sk-known-openai-key-4f2e8a",
    "DJANGO_SUPERUSER_PASSWORD": "known-superuser-password-77x",
}
STORED_TOKENS = {
    "access": "known-stored-access-token-a1b2",
    "refresh": "known-stored-refresh-token-c3d4",
}


class Everything(logging.Handler):
    """Every record, formatted with its `extra` fields and traceback, as a log shipper would see it."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.formatter_ = logging.Formatter("%(levelname)s %(name)s %(message)s")

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{self.formatter_.format(record)} {record.__dict__!r}")


@pytest.fixture
def everything_logged(caplog: Any) -> Any:
    caplog.set_level(logging.DEBUG)
    handler = Everything()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


def _leaks(texts: list[str]) -> list[tuple[str, str]]:
    values = {**SECRETS, **{f"stored {name} token": value for name, value in STORED_TOKENS.items()}}
    return [(name, text[:300]) for text in texts for name, value in values.items() if value in text]


def test_no_secret_reaches_a_log_or_a_stored_error(
    settings, ai_settings, fake_openai, fake_tiktok, dramatiq_worker, everything_logged, monkeypatch
) -> None:
    for name, value in SECRETS.items():
        setattr(settings, name, value)
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", SECRETS["DJANGO_SUPERUSER_PASSWORD"])
    add_items(items=SEED_ITEMS)
    client = Client()
    outputs: list[str] = []

    # A conversation whose AI call fails (the offline answer goes out) ...
    fake_openai.script(failure(401, "Incorrect API key provided."))
    assert post_webhook(client, im_receive_msg_body("got any nike jackets?", user="anna")).status_code == 200
    dramatiq_worker.drain()
    # ... a reply TikTok refuses (a permanent error: failed, never retried) ...
    fake_tiktok.script(SEND_PATH, Reply(json=error(40001, "Parameter error.")))
    assert post_webhook(client, im_receive_msg_body("hello again", user="bob")).status_code == 200
    dramatiq_worker.drain()
    # ... a delivery signed with the wrong secret, and one with none.
    assert post_webhook(client, im_receive_msg_body("forged", user="eve"), secret="wrong").status_code == 401
    assert post_webhook(client, im_receive_msg_body("forged", user="eve"), header="t=1,s=00").status_code == 401
    # A failed token refresh with stored tokens (the environment's token is what stops refreshing).
    settings.TIKTOK_ACCESS_TOKEN = ""
    store_tokens(
        access_token=STORED_TOKENS["access"],
        access_token_expires_at=timezone.now(),
        refresh_token=STORED_TOKENS["refresh"],
        refresh_token_expires_at=None,
    )
    fake_tiktok.script(REFRESH_PATH, Reply(json=error(40001, "Invalid refresh token.")))
    with pytest.raises(Exception, match="Invalid refresh token"):
        refresh_access_token_if_expiring()
    # The admin account from DJANGO_SUPERUSER_PASSWORD, a wrong and a right login.
    out, err = StringIO(), StringIO()
    call_command("ensure_staff", stdout=out, stderr=err)
    outputs += [out.getvalue(), err.getvalue()]
    Client().post("/admin/login/", {"username": "admin", "password": "not-it"})
    login = Client().post(
        "/admin/login/?next=/admin/", {"username": "admin", "password": SECRETS["DJANGO_SUPERUSER_PASSWORD"]}
    )
    assert login.status_code == 302

    # The scenario really ran: the AI failed, a send failed, the refresh failed, forgeries were refused.
    assert len(fake_openai.requests) == 2  # both failed: a 401, then the fake's 500 once its script ran out
    assert Message.objects.filter(state=Message.State.SENT).count() == 1
    assert Message.objects.get(state=Message.State.FAILED).error_code == "40001"
    assert TikTokCredential.objects.get().last_refresh_error
    assert any("tiktok webhook rejected" in line for line in everything_logged.lines)
    assert get_user_model().objects.get(username="admin").is_superuser
    stored = [
        *Message.objects.values_list("error", flat=True),
        *Message.objects.values_list("text", flat=True),
        *WebhookEvent.objects.values_list("last_error", flat=True),
        *WebhookEvent.objects.values_list("raw_body", flat=True),
        TikTokCredential.objects.get().last_refresh_error,
    ]
    assert _leaks(everything_logged.lines) == []
    assert _leaks(stored) == []
    assert _leaks(outputs) == []
    assert os.environ["DJANGO_SUPERUSER_PASSWORD"] == SECRETS["DJANGO_SUPERUSER_PASSWORD"]
