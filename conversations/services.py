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
    if not created and username and customer.username != username:
        customer.username = username
        customer.save(update_fields=["username", "updated_at"])
    return customer


def pause_bot(*, customer: Customer, hours: float | None = None, now: datetime | None = None) -> Customer:
    """Keep the assistant quiet for this customer for `hours`, or until resumed when `hours` is None."""
    now = now or timezone.now()
    until = now + (INDEFINITE_PAUSE if hours is None else timedelta(hours=hours))
    with transaction.atomic():
        Customer.objects.filter(pk=customer.pk).update(bot_paused_until=until, updated_at=now)
    customer.bot_paused_until = until
    logger.info("bot paused", extra={"customer": customer.pk, "until": until})
    return customer


def resume_bot(*, customer: Customer) -> Customer:
    """Let the assistant answer this customer again, and clear a pending request for a person."""
    now = timezone.now()
    Customer.objects.filter(pk=customer.pk).update(bot_paused_until=None, handoff_requested_at=None, updated_at=now)
    customer.bot_paused_until = None
    customer.handoff_requested_at = None
    logger.info("bot resumed", extra={"customer": customer.pk})
    return customer
