"""Holds: taking, extending, releasing and expiring an item's hold, and its one reminder.

Every change to a hold goes through here; a hold is taken with the customer row, then the item row, locked."""

import logging
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from conversations.models import Customer
from conversations.selectors import can_be_written_to
from inventory.exceptions import (
    DropBeingSettled,
    HoldAlreadyExtended,
    HoldLimitReached,
    InvalidHoldLength,
    ItemNotDroppedYet,
    ItemNotFound,
    ItemNotHeld,
    ItemUnavailable,
    NotHeldBy,
)
from inventory.jobs import enqueue_waitlist_turn, schedule_hold_timers
from inventory.locks import HoldCandidate, lock_customer, lock_item_to_hold, lock_items, save_hold
from inventory.models import Item, WaitlistEntry
from inventory.selectors import unsettled_drop_items
from philia.db import locking_transaction

logger = logging.getLogger(__name__)


MAX_HOLD_HOURS = 24 * 14


def reserve_item(
    *, sku: str, customer: Customer, hours: int | float | None = None, now: datetime | None = None
) -> Item:
    """Hold one item for a customer.

    Locks the customer row, then the item row (`FOR NO KEY UPDATE`), so two buyers of the same item
    are served one after the other and exactly one wins. Holding an item you already hold again
    extends the hold (never shortens it). Raises `InvalidHoldLength`, `ItemNotFound`, `ItemUnavailable`,
    `ItemNotDroppedYet`, `DropBeingSettled` or `HoldLimitReached`, and then changes nothing. Once committed,
    the hold's expiry (and its reminder) are scheduled as delayed jobs.
    """
    hours = hold_hours(hours)
    with locking_transaction():
        lock_customer(customer.pk)
        now = now or timezone.now()
        candidate = lock_item_to_hold(sku=sku, customer_id=customer.pk, now=now)
        if candidate is None:
            raise ItemNotFound(sku)
        item = candidate.item
        if item.drops_at is not None:
            if item.drops_at > now:
                raise ItemNotDroppedYet(item.sku, item.drops_at)
            # Only a piece that has been in a drop has its drop time set, and it stays set (`remove_from_drop`).
            if unsettled_drop_items(now=now, claimed=True).filter(item_id=item.pk).exists():
                raise DropBeingSettled(item.sku)
        return hold_locked_item(candidate, customer=customer, hours=hours, now=now)


def hold_hours(hours: object) -> int | float:
    hours = settings.HOLD_HOURS if hours is None else hours
    if isinstance(hours, Decimal):
        hours = float(hours)
    if isinstance(hours, bool) or not isinstance(hours, int | float) or not 0 < hours <= MAX_HOLD_HOURS:
        raise InvalidHoldLength(hours, MAX_HOLD_HOURS)
    return hours


def hold_locked_item(
    candidate: HoldCandidate, *, customer: Customer, hours: int | float, now: datetime, limited: bool = True
) -> Item:
    """Hold a locked item for a customer whose row is locked too (the caller's transaction). `limited`: refused
    at MAX_HOLDS_PER_CUSTOMER (a live stream's wins are not)."""
    item = candidate.item
    hold_is_current = item.is_held(now=now)
    extends_own_hold = hold_is_current and item.held_by_id == customer.pk
    if item.status in (Item.Status.SOLD, Item.Status.HIDDEN) or (hold_is_current and not extends_own_hold):
        raise ItemUnavailable(item.sku, item.status, item.held_until)
    # Taking an item back after one's own hold ran out is a new hold: it counts against the limit.
    limit = settings.MAX_HOLDS_PER_CUSTOMER
    if limited and not extends_own_hold and candidate.holds >= limit:
        raise HoldLimitReached(limit)
    held_until = now + timedelta(hours=hours)
    if extends_own_hold:
        held_until = max(held_until, item.hold_runs_out_at())
    else:
        item.held_since, item.hold_reminded_at, item.hold_extended_at = now, None, None
    item.status, item.held_by, item.held_until, item.updated_at = (
        Item.Status.RESERVED,
        customer,
        held_until,
        timezone.now(),
    )
    save_hold(item)  # one UPDATE of the locked row: save() would add only its signals, which nothing hears
    if candidate.waiting:  # being served takes a customer out of the line for that piece
        WaitlistEntry.objects.filter(item=item, customer=customer).delete()
    schedule_hold_timers(item_id=item.pk, held_until=held_until)
    logger.info("item held", extra={"sku": item.sku, "customer": customer.pk, "held_until": held_until})
    return item


def release_hold(*, sku: str, by: Customer | None = None) -> Item:
    """Put a held item back on sale. `by=None` is staff; a customer may only release their own hold.

    Locks the item row. Raises `ItemNotFound`, `ItemNotHeld` or `NotHeldBy`. Once committed, the first
    customer waiting for the piece gets their turn.
    """
    with locking_transaction():
        item = lock_items(skus=[sku]).first()
        if item is None:
            raise ItemNotFound(sku)
        if item.status != Item.Status.RESERVED:
            raise ItemNotHeld(item.sku)
        if by is not None and item.held_by_id != by.pk:
            raise NotHeldBy(item.sku)
        holder = _end_hold(item)
    logger.info("hold released", extra={"sku": item.sku, "customer": holder, "by_staff": by is None})
    return item


def expire_hold(*, item_id: int, held_until: datetime, now: datetime | None = None) -> bool:
    """The hold's own timer: put the item back on sale if it is still held with exactly this expiry and
    that has passed. True if it did; False (nothing changed) when the hold was released, renewed,
    extended or became an order, or is not due yet. Locks the item row."""
    with transaction.atomic():
        item = lock_items(ids=[item_id]).first()
        now = now or timezone.now()
        if item is None or item.status != Item.Status.RESERVED or item.held_until != held_until:
            return False
        if held_until > now:
            return False
        holder = _end_hold(item)
    logger.info("hold expired", extra={"sku": item.sku, "customer": holder})
    return True


def _end_hold(item: Item) -> str | None:
    """Put a locked, held item back on sale (in the caller's transaction); once committed, the piece's waitlist
    gets its turn. Returns who held it."""
    holder = item.held_by_id
    item.status = Item.Status.AVAILABLE
    item.held_by = None
    item.held_until = None
    item.save(update_fields=["status", "held_by", "held_until", "updated_at"])
    enqueue_waitlist_turn(item_id=item.pk)
    return holder


def release_expired_holds(*, now: datetime | None = None) -> int:
    """Put every item whose hold has run out back on sale; returns how many. Idempotent.

    Locks the expired rows in primary-key order, skipping rows another transaction has locked (a
    reserve or an order deciding about that very item; the next sweep sees what it left), so the sweep
    never waits on, nor deadlocks with, a buyer. Each released item's waitlist gets its turn after commit.
    """
    now = now or timezone.now()
    with transaction.atomic():
        expired_ids = list(
            Item.objects.holds_run_out(now=now)
            .select_for_update(no_key=True, skip_locked=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        released = Item.objects.filter(pk__in=expired_ids).update(
            status=Item.Status.AVAILABLE, held_by=None, held_until=None, updated_at=timezone.now()
        )
        for item_id in expired_ids:
            enqueue_waitlist_turn(item_id=item_id)
    if released:
        logger.info("expired holds released", extra={"count": released})
    return released


def extend_hold(*, sku: str, hours: int | float | None = None, now: datetime | None = None) -> Item:
    """The owner gives the holder more time: HOLD_HOURS (or `hours`) more, once per hold. Locks the item
    row. Raises `ItemNotFound`, `ItemNotHeld` (no current hold) or `HoldAlreadyExtended`."""
    hours = hold_hours(hours)
    with transaction.atomic():
        item = lock_items(skus=[sku]).first()
        now = now or timezone.now()
        if item is None:
            raise ItemNotFound(sku)
        if not item.is_held(now=now):
            raise ItemNotHeld(item.sku)
        if item.hold_extended_at is not None:
            raise HoldAlreadyExtended(item.sku)
        held_until = item.hold_runs_out_at() + timedelta(hours=hours)
        item.held_until, item.hold_extended_at = held_until, now
        item.save(update_fields=["held_until", "hold_extended_at", "updated_at"])
        schedule_hold_timers(item_id=item.pk, held_until=held_until)
    logger.info("hold extended", extra={"sku": item.sku, "customer": item.held_by_id, "held_until": item.held_until})
    return item


def claim_hold_reminder(*, item_id: int, held_until: datetime, now: datetime | None = None) -> Item | None:
    """Take the one reminder of this hold: the item (holder loaded) if it is still held with exactly this
    expiry, not yet reminded, still ahead, and the holder can be written to now (window open, no STOP, bot
    not paused); else None. Marks the hold reminded, so call it in the transaction that queues the
    reminder: whatever is retried, one hold gets one reminder. Locks the item row."""
    with transaction.atomic():
        item = lock_items(ids=[item_id]).first()
        now = now or timezone.now()
        if item is None or item.status != Item.Status.RESERVED or item.held_until != held_until:
            return None
        if item.hold_reminded_at is not None or item.held_until <= now:
            return None
        holder = Customer.objects.get(pk=item.held_by_id)
        if not can_be_written_to(customer=holder, now=now):
            return None
        item.hold_reminded_at = now
        item.save(update_fields=["hold_reminded_at", "updated_at"])
    item.held_by = holder
    return item


def hold_at_least_until(*, item_ids: list[int], until: datetime, now: datetime | None = None) -> list[Item]:
    """Make the current holds of these pieces last at least until `until` (a live stream's wins: until the stream
    ended plus LIVE_PAY_HOURS), whoever holds them; the hold's timers follow. Pieces no longer held are left
    alone. Locks the items in primary-key order; returns the holds lengthened."""
    now = now or timezone.now()
    lengthened = []
    with transaction.atomic():
        for item in lock_items(ids=item_ids):
            if not item.is_held(now=now) or item.hold_runs_out_at() >= until:
                continue
            item.held_until, item.updated_at = until, now
            save_hold(item)
            schedule_hold_timers(item_id=item.pk, held_until=until)
            lengthened.append(item)
    logger.info("holds lengthened", extra={"skus": [item.sku for item in lengthened], "until": until})
    return lengthened
