"""Stripe's webhook endpoint: verify over the raw body, store once, enqueue — nothing slow happens here."""

import logging

import stripe
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, JsonResponse
from ninja import Router

from orders.stripe_payments import record_stripe_event

logger = logging.getLogger(__name__)

router = Router(tags=["stripe"])


@router.post("/stripe", include_in_schema=False)
def receive_stripe_webhook(request: HttpRequest) -> JsonResponse:
    """One event from Stripe. 400 unsigned or unusable (nothing written), 503 database down, else 200."""
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
    except ValueError:
        return _error(400, "Body is not a Stripe event.")
    try:
        recorded = record_stripe_event(event=event)
    except (OperationalError, InterfaceError):
        logger.exception("stripe webhook not stored: database unavailable")
        return _error(503, "Database unavailable; retry later.")
    return JsonResponse({"status": "recorded" if recorded.created else "duplicate"})


def _error(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)
