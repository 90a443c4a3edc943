"""Writes to customers and their conversations."""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from conversations.models import Customer

logger = logging.getLogger(__name__)

# Paused "until resumed" is stored as a far-off date so one column answers "is the bot paused?".
INDEFINITE_PAUSE = timedelta(days=3650)


def get_or_create_customer(*, tiktok_user_id: str, username: str = "", display_name: str = "") -> Customer:
    """The customer with this TikTok user id, created if new. Fills in a username it did not know."""
    tiktok_user_id = tiktok_user_id.strip()
    if not tiktok_user_id:
        raise ValueError("A customer needs a TikTok user id.")
    customer, created = Customer.objects.get_or_create(
        tiktok_user_id=tiktok_user_id, defaults={"username": username, "display_name": display_name}
    )
    if created:
        return customer
    # TikTok may send a new username or display name with any message: keep what we know current.
    changed = {
        field: value
        for field, value in (("username", username), ("display_name", display_name))
        if value and getattr(customer, field) != value
    }
    if changed:
        for field, value in changed.items():
            setattr(customer, field, value)
        customer.save(update_fields=[*changed, "updated_at"])
    return customer


def pause_bot(*, customer: Customer, hours: float | None = None, now: datetime | None = None) -> Customer:
    """Keep the assistant quiet for this customer for `hours`, or until resumed when `hours` is None.

    One UPDATE of the customer row; pausing again replaces the previous pause.
    """
    if hours is not None and hours <= 0:
        raise ValueError(f"A pause lasts a positive number of hours, not {hours}.")
    now = now or timezone.now()
    until = now + (INDEFINITE_PAUSE if hours is None else timedelta(hours=hours))
    Customer.objects.filter(pk=customer.pk).update(bot_paused_until=until, updated_at=now)
    customer.bot_paused_until = until
    logger.info("bot paused", extra={"customer": customer.pk, "until": until})
    return customer


def resume_bot(*, customer: Customer) -> Customer:
    """Let the assistant answer this customer again, and clear a pending request for a person. One UPDATE."""
    now = timezone.now()
    Customer.objects.filter(pk=customer.pk).update(bot_paused_until=None, handoff_requested_at=None, updated_at=now)
    customer.bot_paused_until = None
    customer.handoff_requested_at = None
    logger.info("bot resumed", extra={"customer": customer.pk})
    return customer


def opt_out(*, customer: Customer, now: datetime | None = None) -> Customer:
    """The customer sent STOP: nothing automated is sent to them until they opt back in. Idempotent."""
    now = now or timezone.now()
    updated = Customer.objects.filter(pk=customer.pk, opted_out_at__isnull=True).update(opted_out_at=now, updated_at=now)
    if updated:
        customer.opted_out_at = now
        logger.info("customer opted out", extra={"customer": customer.pk})
    else:
        customer.refresh_from_db(fields=["opted_out_at"])
    return customer


def opt_in(*, customer: Customer) -> Customer:
    """The customer sent START: automated replies resume. Idempotent."""
    updated = Customer.objects.filter(pk=customer.pk, opted_out_at__isnull=False).update(
        opted_out_at=None, updated_at=timezone.now()
    )
    customer.opted_out_at = None
    if updated:
        logger.info("customer opted in", extra={"customer": customer.pk})
    return customer


def request_handoff(*, customer: Customer, now: datetime | None = None) -> Customer:
    """The customer asked for a person: flag the conversation for the owner (the time of the latest
    request) and keep the bot quiet until the owner resumes it. One transaction, two UPDATEs of the row."""
    now = now or timezone.now()
    with transaction.atomic():
        Customer.objects.filter(pk=customer.pk).update(handoff_requested_at=now, updated_at=now)
        pause_bot(customer=customer, hours=None, now=now)
    customer.refresh_from_db(fields=["handoff_requested_at", "bot_paused_until"])
    logger.info("hand-off to the owner requested", extra={"customer": customer.pk})
    return customer
