"""Stripe as the tests see it: a fake Stripe API — a small real HTTP server on 127.0.0.1 that the real
`stripe` client talks to (STRIPE_API_BASE pointed at it) — and webhook events signed the way Stripe signs
them (`Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "{t}.{payload}">`).

    def test_...(stripe_settings, fake_stripe, client):
        ...                                            # place an order: a worker creates a session
        session = fake_stripe.sessions[0]              # what the shop asked Stripe for (the parsed form)
        post_stripe_webhook(client, checkout_completed(session))

`fake_stripe.fail_next = 1` makes the next call answer 500; `fake_stripe.requests` are (path, form,
idempotency key) of every call.
"""

import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl

import pytest

from testing.http_fakes import FakeHTTPServer, write_reply

TEST_STRIPE_SECRET_KEY = "sk_test_philia"
TEST_STRIPE_WEBHOOK_SECRET = "whsec_test_philia"


class FakeStripe(FakeHTTPServer):
    thread_name = "fake-stripe"
    protocol_version = "HTTP/1.1"

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], str]] = []
        self.sessions: list[dict[str, Any]] = []
        self.fail_next = 0
        self._by_key: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0)).decode()
        form = dict(parse_qsl(raw, keep_blank_values=True))
        key = handler.headers.get("Idempotency-Key", "")
        with self._lock:
            self.requests.append((handler.path, form, key))
            if self.fail_next:
                self.fail_next -= 1
                write_reply(handler, 500, b'{"error": {"type": "api_error", "message": "fake outage"}}')
                return
            if key in self._by_key:  # Stripe answers a repeated idempotency key with the first answer
                write_reply(handler, 200, self._by_key[key])
                return
            if handler.path != "/v1/checkout/sessions":
                write_reply(handler, 404, b'{"error": {"type": "invalid_request_error", "message": "unknown"}}')
                return
            session = self._session(form)
            self.sessions.append(session)
            body = json.dumps(session).encode()
            self._by_key[key] = body
        write_reply(handler, 200, body)

    def _session(self, form: dict[str, str]) -> dict[str, Any]:
        session_id = f"cs_test_{uuid.uuid4().hex[:12]}"
        lines = sorted({name.split("]")[0].split("[")[1] for name in form if name.startswith("line_items[")})
        total = sum(int(form[f"line_items[{index}][price_data][unit_amount]"]) for index in lines)
        return {
            "id": session_id,
            "object": "checkout.session",
            "url": f"https://checkout.stripe.test/c/pay/{session_id}",
            "expires_at": int(form["expires_at"]),
            "amount_total": total,
            "currency": form["line_items[0][price_data][currency]"],
            "client_reference_id": form.get("client_reference_id"),
            "metadata": {"order_id": form.get("metadata[order_id]")},
            "payment_status": "unpaid",
            "payment_intent": None,
            "status": "open",
            "line_items_sent": [
                (
                    form[f"line_items[{index}][price_data][product_data][name]"],
                    int(form[f"line_items[{index}][price_data][unit_amount]"]),
                )
                for index in lines
            ],
        }


def stripe_signature(payload: bytes, secret: str = TEST_STRIPE_WEBHOOK_SECRET, t: int | None = None) -> str:
    timestamp = int(time.time()) if t is None else t
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def stripe_event(event_type: str, data_object: dict[str, Any], *, event_id: str | None = None) -> bytes:
    return json.dumps(
        {
            "id": event_id or f"evt_{uuid.uuid4().hex[:16]}",
            "object": "event",
            "type": event_type,
            "created": int(time.time()),
            "livemode": False,
            "data": {"object": data_object},
        }
    ).encode()


def checkout_completed(session: dict[str, Any], **changes: Any) -> bytes:
    paid = {**session, "status": "complete", "payment_status": "paid", "payment_intent": f"pi_{session['id']}"}
    return stripe_event("checkout.session.completed", {**paid, **changes})


def post_stripe_webhook(client: Any, payload: bytes, *, header: str | None = None, secret: str | None = None):
    headers = {}
    if header is None:
        header = stripe_signature(payload, secret or TEST_STRIPE_WEBHOOK_SECRET)
    if header:
        headers["Stripe-Signature"] = header
    return client.post("/webhooks/stripe", data=payload, content_type="application/json", headers=headers)


@pytest.fixture
def fake_stripe() -> Iterator[FakeStripe]:
    with FakeStripe() as fake:
        yield fake


@pytest.fixture
def stripe_settings(settings: Any, fake_stripe: FakeStripe) -> Any:
    settings.PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = TEST_STRIPE_SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = TEST_STRIPE_WEBHOOK_SECRET
    settings.STRIPE_API_BASE = fake_stripe.base_url
    settings.STRIPE_TIMEOUT_SECONDS = 5
    return settings
