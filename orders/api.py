"""Stripe's webhook endpoint: verify over the raw body, store once, enqueue — nothing slow happens here."""

import json
import logging

import stripe
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, JsonResponse
from ninja import Router

from orders.stripe_payments import record_stripe_event

logger = logging.getLogger(__name__)

router = Router(tags=["stripe"])

ANSWERS = {"new": "recorded", "reopened": "reopened", "duplicate": "duplicate"}


@router.post("/stripe", include_in_schema=False)
def receive_stripe_webhook(request: HttpRequest) -> JsonResponse:
    """One event from Stripe. 400 unsigned or unusable (nothing written), 503 database down, else 200: "recorded",
    "duplicate", or "reopened" (a redelivery of an event that failed: it is handled again)."""
    signature = request.headers.get("Stripe-Signature")
    if not signature:
        return _error(400, "Missing Stripe-Signature header.")
    if not settings.STRIPE_WEBHOOK_SECRET:
        return _error(400, "Stripe webhooks are not configured (STRIPE_WEBHOOK_SECRET is empty).")
    try:
        event = stripe.Webhook.construct_event(request.body, signature, settings.STRIPE_WEBHOOK_SECRET)
    except stripe.SignatureVerificationError:
        logger.warning("stripe webhook rejected: bad signature")
        return _error(400, "Invalid Stripe-Signature.")
    except (ValueError, TypeError, AttributeError, RecursionError):  # not JSON, not an object, nested too deep
        return _error(400, "Body is not a Stripe event.")
    if not _storable(event):
        return _error(400, "Body is not a Stripe event.")
    try:
        recorded = record_stripe_event(event=event)
    except (OperationalError, InterfaceError):
        logger.exception("stripe webhook not stored: database unavailable")
        return _error(503, "Database unavailable; retry later.")
    return JsonResponse({"status": ANSWERS[recorded.outcome]})


def _storable(event: stripe.Event) -> bool:
    """A signed body is still only stored if it has a text id and type that fit their columns and a payload
    PostgreSQL's jsonb accepts (no NaN/Infinity, NUL characters or lone surrogates)."""
    try:
        payload = event.to_dict()
        dumped = json.dumps(payload, ensure_ascii=False, allow_nan=False)
        dumped.encode("utf-8")
    except (ValueError, TypeError, RecursionError):  # UnicodeEncodeError is a ValueError
        return False
    event_id, event_type = payload.get("id"), payload.get("type")
    if not (isinstance(event_id, str) and 0 < len(event_id) <= 255):
        return False
    if not (isinstance(event_type, str) and len(event_type) <= 100):
        return False
    return "\\u0000" not in dumped


def _error(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)
