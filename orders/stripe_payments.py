"""Stripe: a Checkout Session per order, and what Stripe's webhook tells us.

The Stripe API is called only from workers, never inside a transaction that holds a lock: placing an
order sends `create_payment_link` after commit. Every call has a timeout and an idempotency key.
"""

import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import stripe
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from stripe.params.checkout import SessionCreateParams

from orders import notices
from orders.history import record_event_in_status
from orders.models import Order, Payment, StripeEvent
from orders.notices import tell_customer
from orders.payment_links import open_payment_link
from orders.payments import record_provider_payment, record_refund
from philia import inbox

logger = logging.getLogger(__name__)

# Stripe's bounds for a Checkout Session's expires_at, measured from its creation (with a margin each side).
SESSION_MIN = timedelta(minutes=31)
SESSION_MAX = timedelta(hours=23, minutes=59)


def client() -> stripe.StripeClient:
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": settings.STRIPE_API_BASE},
        http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_SECONDS),
        max_network_retries=1,
    )


def session_expiry(*, order_expires_at: datetime | None, now: datetime) -> datetime:
    """No later than the order's own deadline, within Stripe's 30 minutes to 24 hours."""
    latest = now + SESSION_MAX
    wanted = min(order_expires_at or latest, latest)
    return max(wanted, now + SESSION_MIN)


def create_payment_link(*, order_id: int) -> str | None:
    """Create a Checkout Session for exactly the order's lines and total and send the customer its link, with
    the order number as the fallback reference. Returns the link, or None when there is nothing to pay (the
    order is gone or not pending) or Stripe failed: then the customer gets the manual instructions instead.

    Called by a worker, outside any transaction. Reuses a session that is still open; a fresh one (a new
    idempotency key) once the previous one expired."""
    order = Order.objects.select_related("customer").filter(pk=order_id).first()
    if order is None or order.status != Order.Status.PENDING:
        return None
    if link := open_payment_link(order=order):
        return link
    try:
        session, url = _new_session(order=order)
    except stripe.StripeError:
        logger.exception("stripe checkout session not created; manual instructions sent", extra={"order": order.pk})
        with transaction.atomic():
            tell_customer(customer=order.customer, text=notices.pay_manually(order.pk, settings.PAYMENT_INSTRUCTIONS))
        return None
    with transaction.atomic():
        if _keep_session(order=order, session=session):
            tell_customer(customer=order.customer, text=notices.payment_link(order.pk, f"${order.total}", url))
    return url


def checkout_link(*, order: Order) -> str | None:
    """The pending order's Checkout link — its open session's, or a new one's — without telling the customer (the
    caller's message carries it: a live stream's invoice). None when Stripe failed or the order is no longer
    pending. Called outside any transaction."""
    if link := open_payment_link(order=order):
        return link
    try:
        session, url = _new_session(order=order)
    except stripe.StripeError:
        logger.exception("stripe checkout session not created", extra={"order": order.pk})
        return None
    return url if _keep_session(order=order, session=session) else None


def _new_session(*, order: Order) -> tuple[stripe.checkout.Session, str]:
    """A Checkout Session for exactly the order's lines, its shipping and its total (Stripe's idempotency key: one
    session per order and previous session). Raises `stripe.StripeError`."""
    now = timezone.now()
    lines = [
        (f"{line.item.sku} · {line.item.name}", line.price)
        for line in order.lines.filter(is_active=True).select_related("item")
    ]
    if order.shipping:
        lines.append(("Shipping", order.shipping))
    expires_at = session_expiry(order_expires_at=order.expires_at, now=now)
    params: SessionCreateParams = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": settings.SHOP_CURRENCY,
                    "unit_amount": to_cents(price),
                    "product_data": {"name": name},
                },
            }
            for name, price in lines
        ],
        "client_reference_id": str(order.pk),
        "metadata": {"order_id": str(order.pk)},
        "payment_intent_data": {"metadata": {"order_id": str(order.pk)}},
        "expires_at": int(expires_at.timestamp()),
        "success_url": settings.STRIPE_SUCCESS_URL,
    }
    key = f"philia-order-{order.pk}-after-{order.stripe_session_id or 'none'}"
    session = client().v1.checkout.sessions.create(params=params, options={"idempotency_key": key})
    if session.url is None:  # Stripe gives every hosted session a URL
        raise ValueError(f"Stripe's checkout session {session.id} for order {order.pk} has no URL")
    logger.info("stripe checkout session created", extra={"order": order.pk, "session": session.id})
    return session, session.url


def _keep_session(*, order: Order, session: stripe.checkout.Session) -> bool:
    """Store the session on the order while it is still pending; whether it was."""
    updated = Order.objects.filter(pk=order.pk, status=Order.Status.PENDING).update(
        stripe_session_id=session.id,
        stripe_session_url=session.url,
        stripe_session_expires_at=datetime.fromtimestamp(session.expires_at, tz=UTC),
        updated_at=timezone.now(),
    )
    if updated:
        order.stripe_session_id, order.stripe_session_url = session.id, session.url or ""
    return bool(updated)


def to_cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


# --- The webhook -----------------------------------------------------------------------------------


def record_stripe_event(*, event: stripe.Event) -> inbox.Recorded:
    """Store a verified event once by its Stripe id; the worker is sent after commit. A repeat is answered as a
    duplicate and nothing is repeated — unless the stored one failed: Stripe's redelivery is then handled again
    (`philia.inbox.record`, one statement)."""
    recorded = inbox.record(
        StripeEvent, unique="event_id", event_id=event.id, event_type=event.type, payload=event.to_dict()
    )
    if recorded.event_id is not None:
        transaction.on_commit(partial(inbox.enqueue, StripeEvent, event_id=recorded.event_id))
    return recorded


def handle_stripe_event_row(*, stripe_event_id: int) -> None:
    """Act on one stored Stripe event, once: a paid session marks its order paid, an expired session is
    recorded, a refunded charge records a refund. Idempotent (the event is claimed first, and the payments
    have unique references). What it did and the event's done state commit together; an error leaves the
    event failed, for the sweep to try again with backoff (`philia.inbox`)."""
    stale = timezone.now() - timedelta(seconds=settings.STRIPE_STALE_EVENT_SECONDS)
    claimed = inbox.claim(StripeEvent.objects.filter(pk=stripe_event_id), processing_since_before=stale)
    if not claimed:
        return
    [row] = claimed
    try:
        with transaction.atomic():
            outcome, order_id = _act_on(row)
            inbox.finish(row, outcome=outcome, order_id=order_id)
    except Exception as error:
        inbox.fail(row, error=error)
        return
    logger.info("stripe event handled", extra={"stripe_event": row.event_id, "outcome": outcome})


def _act_on(row: StripeEvent) -> tuple[str, int | None]:
    """What the event means for its order: the outcome in words, and the order it is about (None: not ours)."""
    data = row.payload.get("data", {}).get("object", {})
    order_id = _order_id(data)
    if order_id is None or not Order.objects.filter(pk=order_id).exists():
        return "no order of ours in this event", None
    if row.event_type == "checkout.session.completed":
        if data.get("payment_status") != "paid":
            return f"session completed, payment {data.get('payment_status')}: waiting for the money", order_id
        payment = record_provider_payment(
            order_id=order_id,
            provider=Payment.Provider.STRIPE,
            reference=data.get("payment_intent") or data["id"],
            amount=from_cents(int(data.get("amount_total") or 0)),
            currency=data.get("currency") or "",
        )
        return ("payment recorded" if payment is not None else "payment already recorded"), order_id
    if row.event_type == "checkout.session.expired":
        order = Order.objects.get(pk=order_id)
        record_event_in_status(order=order, kind="stripe_session_expired", note=data.get("id", ""))
        Order.objects.filter(pk=order_id, stripe_session_id=data.get("id")).update(
            stripe_session_url="", updated_at=timezone.now()
        )
        return "session expiry recorded", order_id
    if row.event_type == "charge.refunded":
        refund = record_refund(
            order_id=order_id,
            provider=Payment.Provider.STRIPE,
            reference=data["id"],
            amount=from_cents(int(data.get("amount_refunded") or 0)),
            currency=data.get("currency") or "",
        )
        return ("refund recorded" if refund is not None else "refund already recorded"), order_id
    return "not an event the shop acts on", order_id


def _order_id(data: dict[str, Any]) -> int | None:
    raw = data.get("client_reference_id") or (data.get("metadata") or {}).get("order_id")
    if raw is None:
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None
