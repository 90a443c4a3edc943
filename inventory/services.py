"""Writes to the stock. Every change to an item's status goes through here."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from conversations.models import Customer
from inventory.exceptions import HoldLimitReached, ItemNotFound, ItemNotHeld, ItemUnavailable, NotHeldBy
from inventory.locks import lock_items
from inventory.models import Item
from inventory.selectors import current_holds

logger = logging.getLogger(__name__)

MAX_HOLD_HOURS = 24 * 14


def reserve_item(*, sku: str, customer: Customer, hours: int | None = None, now: datetime | None = None) -> Item:
    """Hold one item for a customer.

    Locks the customer row, then the item row (`FOR NO KEY UPDATE`), so two buyers of the same item
    are served one after the other and exactly one wins. Holding an item you already hold again
    extends the hold. Raises `ItemNotFound`, `ItemUnavailable` or `HoldLimitReached`.
    """
    hours = settings.HOLD_HOURS if hours is None else hours
    if not 0 < hours <= MAX_HOLD_HOURS:
        raise ValueError(f"A hold lasts between 1 and {MAX_HOLD_HOURS} hours, not {hours}.")
    with transaction.atomic():
        # The customer row serialises one customer's holds, so the hold limit cannot be raced past.
        Customer.objects.select_for_update(no_key=True).filter(pk=customer.pk).first()
        item = lock_items(skus=[sku]).first()
        now = now or timezone.now()
        if item is None:
            raise ItemNotFound(sku)
        held_by_this_customer = item.status == Item.Status.RESERVED and item.held_by_id == customer.pk
        hold_is_current = item.status == Item.Status.RESERVED and item.held_until > now
        if not held_by_this_customer:
            if hold_is_current or item.status in (Item.Status.SOLD, Item.Status.HIDDEN):
                raise ItemUnavailable(item.sku, item.status, item.held_until)
            limit = settings.MAX_HOLDS_PER_CUSTOMER
            if current_holds(customer=customer, now=now).count() >= limit:
                raise HoldLimitReached(limit)
        item.status = Item.Status.RESERVED
        item.held_by = customer
        item.held_until = now + timedelta(hours=hours)
        item.save(update_fields=["status", "held_by", "held_until", "updated_at"])
    logger.info("item held", extra={"sku": item.sku, "customer": customer.pk, "held_until": item.held_until})
    return item


def release_hold(*, sku: str, by: Customer | None = None) -> Item:
    """Put a held item back on sale. `by=None` is staff; a customer may only release their own hold.

    Locks the item row. Raises `ItemNotFound`, `ItemNotHeld` or `NotHeldBy`.
    """
    with transaction.atomic():
        item = lock_items(skus=[sku]).first()
        if item is None:
            raise ItemNotFound(sku)
        if item.status != Item.Status.RESERVED:
            raise ItemNotHeld(item.sku)
        if by is not None and item.held_by_id != by.pk:
            raise NotHeldBy(item.sku)
        holder = item.held_by_id
        item.status = Item.Status.AVAILABLE
        item.held_by = None
        item.held_until = None
        item.save(update_fields=["status", "held_by", "held_until", "updated_at"])
    logger.info("hold released", extra={"sku": item.sku, "customer": holder, "by_staff": by is None})
    return item


def release_expired_holds(*, now: datetime | None = None) -> int:
    """Put every item whose hold has run out back on sale; returns how many. Idempotent.

    One UPDATE: PostgreSQL re-checks the condition on rows another transaction just changed, so a hold
    renewed at the same moment is left alone.
    """
    released = Item.objects.filter(status=Item.Status.RESERVED, held_until__lte=now or timezone.now()).update(
        status=Item.Status.AVAILABLE, held_by=None, held_until=None, updated_at=timezone.now()
    )
    if released:
        logger.info("expired holds released", extra={"count": released})
    return released
