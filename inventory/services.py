"""Writes to the stock. Every change to an item's status or hold goes through here (orders call
`sell_items` and `put_back_on_sale` inside their own transactions)."""

import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache, partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.db.models.functions import Upper
from django.utils import timezone

from conversations.models import Customer, Message
from conversations.selectors import can_be_written_to
from inventory.exceptions import (
    DropBeingSettled,
    HoldAlreadyExtended,
    HoldLimitReached,
    InvalidDrop,
    InvalidHoldLength,
    InvalidItemStatusChange,
    ItemNotDroppable,
    ItemNotDroppedYet,
    ItemNotFound,
    ItemNotHeld,
    ItemUnavailable,
    NotHeldBy,
)
from inventory.locks import (
    HoldCandidate,
    lock_customer,
    lock_item_to_hold,
    lock_items,
    mark_first_claim,
    save_drop_claim,
    save_hold,
)
from inventory.models import Drop, DropClaim, DropItem, Item, ItemPhoto, WaitlistEntry
from inventory.photos import NormalisedPhoto, normalise_photo, store_photo
from inventory.selectors import (
    drop_claims_in_order,
    unsettled_drop_item,
    unsettled_drop_items,
    waitlist_line,
)
from philia.db import locking_transaction
from philia.errors import DomainError

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
    hours = _hold_hours(hours)
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
        return _hold(candidate, customer=customer, hours=hours, now=now)


def _hold_hours(hours: object) -> int | float:
    hours = settings.HOLD_HOURS if hours is None else hours
    if isinstance(hours, Decimal):
        hours = float(hours)
    if isinstance(hours, bool) or not isinstance(hours, int | float) or not 0 < hours <= MAX_HOLD_HOURS:
        raise InvalidHoldLength(hours, MAX_HOLD_HOURS)
    return hours


def _hold(candidate: HoldCandidate, *, customer: Customer, hours: int | float, now: datetime) -> Item:
    """Hold a locked item for a customer whose row is locked too (the caller's transaction)."""
    item = candidate.item
    hold_is_current = item.is_held(now=now)
    extends_own_hold = hold_is_current and item.held_by_id == customer.pk
    if item.status in (Item.Status.SOLD, Item.Status.HIDDEN) or (hold_is_current and not extends_own_hold):
        raise ItemUnavailable(item.sku, item.status, item.held_until)
    # Taking an item back after one's own hold ran out is a new hold: it counts against the limit.
    limit = settings.MAX_HOLDS_PER_CUSTOMER
    if not extends_own_hold and candidate.holds >= limit:
        raise HoldLimitReached(limit)
    held_until = now + timedelta(hours=hours)
    if extends_own_hold:
        held_until = max(held_until, item.held_until)
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
    transaction.on_commit(partial(schedule_hold_timers, item_id=item.pk, held_until=held_until))
    logger.info("item held", extra={"sku": item.sku, "customer": customer.pk, "held_until": held_until})
    return item


def schedule_hold_timers(*, item_id: int, held_until: datetime) -> None:
    """Enqueue the hold's expiry at `held_until`, and its reminder HOLD_REMINDER_HOURS before (when that is
    still ahead). Both jobs do nothing unless the hold is still exactly this one. A broker outage is
    logged: the sweep still expires the hold, and the reminder is skipped."""
    from inventory.tasks import expire_hold, remind_hold

    now = timezone.now()
    until = held_until.isoformat()
    try:
        expire_hold.send_with_options(args=(item_id, until), delay=_milliseconds_until(held_until, now=now))
        remind_at = held_until - timedelta(hours=settings.HOLD_REMINDER_HOURS)
        if settings.HOLD_REMINDER_HOURS and remind_at > now:
            remind_hold.send_with_options(args=(item_id, until), delay=_milliseconds_until(remind_at, now=now))
    except Exception:
        logger.exception("hold timers not enqueued; the sweep will expire the hold", extra={"item_id": item_id})


def _milliseconds_until(moment: datetime, *, now: datetime) -> int:
    return max(0, int((moment - now).total_seconds() * 1000) + 1)


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
        holder = item.held_by_id
        item.status = Item.Status.AVAILABLE
        item.held_by = None
        item.held_until = None
        item.save(update_fields=["status", "held_by", "held_until", "updated_at"])
        transaction.on_commit(partial(enqueue_waitlist_turn, item_id=item.pk))
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
        holder = item.held_by_id
        item.status = Item.Status.AVAILABLE
        item.held_by = None
        item.held_until = None
        item.save(update_fields=["status", "held_by", "held_until", "updated_at"])
        transaction.on_commit(partial(enqueue_waitlist_turn, item_id=item.pk))
    logger.info("hold expired", extra={"sku": item.sku, "customer": holder})
    return True


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
            transaction.on_commit(partial(enqueue_waitlist_turn, item_id=item_id))
    if released:
        logger.info("expired holds released", extra={"count": released})
    return released


def extend_hold(*, sku: str, hours: int | float | None = None, now: datetime | None = None) -> Item:
    """The owner gives the holder more time: HOLD_HOURS (or `hours`) more, once per hold. Locks the item
    row. Raises `ItemNotFound`, `ItemNotHeld` (no current hold) or `HoldAlreadyExtended`."""
    hours = _hold_hours(hours)
    with transaction.atomic():
        item = lock_items(skus=[sku]).first()
        now = now or timezone.now()
        if item is None:
            raise ItemNotFound(sku)
        if not item.is_held(now=now):
            raise ItemNotHeld(item.sku)
        if item.hold_extended_at is not None:
            raise HoldAlreadyExtended(item.sku)
        item.held_until = item.held_until + timedelta(hours=hours)
        item.hold_extended_at = now
        item.save(update_fields=["held_until", "hold_extended_at", "updated_at"])
        transaction.on_commit(partial(schedule_hold_timers, item_id=item.pk, held_until=item.held_until))
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


def sell_items(*, item_ids: Iterable[int], customer: Customer, now: datetime | None = None) -> list[Item]:
    """Mark items the customer holds as sold (the hold ends); returns them locked, in primary-key order.

    Locks the item rows (`FOR NO KEY UPDATE`, primary-key order) and checks each is still held by this
    customer with the hold current; otherwise raises `NotHeldBy` and changes nothing. Called by
    `orders.place_order` inside its transaction, after it has locked the customer row.
    """
    now = now or timezone.now()
    with transaction.atomic():
        items = list(lock_items(ids=item_ids))
        for item in items:
            if not item.is_held(now=now) or item.held_by_id != customer.pk:
                raise NotHeldBy(item.sku)
        Item.objects.filter(pk__in=[item.pk for item in items]).update(
            status=Item.Status.SOLD, held_by=None, held_until=None, updated_at=now
        )
        for item in items:
            item.status, item.held_by, item.held_until, item.updated_at = Item.Status.SOLD, None, None, now
    logger.info("items sold", extra={"skus": [item.sku for item in items], "customer": customer.pk})
    return items


def put_back_on_sale(*, item_ids: Iterable[int]) -> int:
    """Put sold items back on sale (sold → available; a cancelled order's items); returns how many.

    Locks the item rows in primary-key order; items that are not sold are left as they are. Called by
    `orders.cancel_order` inside its transaction, after it has locked the order row. Once committed, each
    piece's waitlist gets its turn.
    """
    item_ids = list(item_ids)
    with transaction.atomic():
        list(lock_items(ids=item_ids))
        returned_ids = list(
            Item.objects.filter(pk__in=item_ids, status=Item.Status.SOLD).order_by("pk").values_list("pk", flat=True)
        )
        returned = Item.objects.filter(pk__in=returned_ids).update(
            status=Item.Status.AVAILABLE, updated_at=timezone.now()
        )
        for item_id in returned_ids:
            transaction.on_commit(partial(enqueue_waitlist_turn, item_id=item_id))
    if returned:
        logger.info("items back on sale", extra={"count": returned})
    return returned


def lock_item_open_to(*, sku: str, customer: Customer, now: datetime | None = None) -> Item:
    """The item, locked, when this customer could buy it: on sale, or held by them (or by nobody any more).

    Locks the item row; call inside the caller's transaction, which keeps the lock. Raises `ItemNotFound`,
    or `ItemUnavailable` for an item sold, hidden or held by someone else. Changes nothing.
    """
    item = lock_items(skus=[sku]).first()
    if item is None:
        raise ItemNotFound(sku)
    now = now or timezone.now()
    held_by_someone_else = item.is_held(now=now) and item.held_by_id != customer.pk
    if item.status in (Item.Status.SOLD, Item.Status.HIDDEN) or held_by_someone_else:
        raise ItemUnavailable(item.sku, item.status, item.held_until)
    return item


def hide_item(*, sku: str) -> Item:
    """Take an item on sale off the shop (available → hidden). Locks the item row.

    Raises `ItemNotFound`, or `InvalidItemStatusChange` for a held or sold item (release or cancel first).
    """
    return _change_status(sku=sku, expected=Item.Status.AVAILABLE, new=Item.Status.HIDDEN, action="hidden")


def unhide_item(*, sku: str) -> Item:
    """Put a hidden item back on sale (hidden → available). Locks the item row.

    Raises `ItemNotFound`, or `InvalidItemStatusChange` when the item is not hidden.
    """
    return _change_status(sku=sku, expected=Item.Status.HIDDEN, new=Item.Status.AVAILABLE, action="put on sale")


def _change_status(*, sku: str, expected: str, new: str, action: str) -> Item:
    with locking_transaction():
        item = lock_items(skus=[sku]).first()
        if item is None:
            raise ItemNotFound(sku)
        if item.status != expected:
            raise InvalidItemStatusChange(item.sku, item.get_status_display().lower(), action)
        item.status = new
        item.save(update_fields=["status", "updated_at"])
    logger.info("item status changed", extra={"sku": item.sku, "status": new})
    return item


def add_items(*, items: Iterable[Mapping[str, Any]]) -> list[Item]:
    """Put new pieces in stock, on sale; returns the items created. Idempotent per SKU.

    An item whose SKU (case-insensitively) is already in stock is left exactly as it is: held, sold or
    edited by staff. Every new item is validated first (`ValidationError`), so a bad one creates none.
    One transaction; the SKU constraint backs the check up if two callers race.
    """
    candidates = [Item(**fields) for fields in items]
    with transaction.atomic():
        # Only the SKUs being added are looked up (the upper(sku) unique index answers it), not the whole stock.
        wanted = [item.sku.strip().upper() for item in candidates]
        known_skus = set(
            Item.objects.annotate(sku_upper=Upper("sku"))
            .filter(sku_upper__in=wanted)
            .values_list("sku_upper", flat=True)
        )
        new_items = []
        for item in candidates:
            item.sku = item.sku.strip()
            if item.sku.upper() in known_skus:
                continue
            item.status, item.held_by, item.held_until = Item.Status.AVAILABLE, None, None
            item.full_clean()
            known_skus.add(item.sku.upper())
            new_items.append(item)
        Item.objects.bulk_create(new_items)
    if new_items:
        logger.info("items added", extra={"skus": [item.sku for item in new_items]})
    return new_items


# --- Waitlists ------------------------------------------------------------------------------------


def enqueue_waitlist_turn(*, item_id: int) -> None:
    """Give the piece's waitlist its turn in a worker. A broker outage is logged: the piece stays on sale."""
    from inventory.tasks import offer_to_waitlist

    try:
        offer_to_waitlist.send(item_id)
    except Exception:
        logger.exception("waitlist turn not enqueued", extra={"item_id": item_id})


def join_waitlist(
    *, sku: str, customer: Customer, queued_at: datetime | None = None, item: Item | None = None
) -> tuple[WaitlistEntry, bool]:
    """Put the customer in line for a piece (once: asking again keeps their place). Returns the entry and
    whether it is new. One INSERT guarded by the one-place-per-customer constraint (get_or_create reads the
    twin request's row when that one won the race). `item`: the piece, when the caller has just read it."""
    if item is None:
        item = Item.objects.filter(sku__iexact=sku.strip()).first()
        if item is None:
            raise ItemNotFound(sku)
    entry, created = WaitlistEntry.objects.get_or_create(
        item=item, customer=customer, defaults={"queued_at": queued_at or timezone.now()}
    )
    entry.item = item
    if created:
        logger.info("customer joined a waitlist", extra={"sku": item.sku, "customer": customer.pk})
    return entry, created


def leave_waitlist(*, customer: Customer, skus: Iterable[str] | None = None) -> list[str]:
    """Take the customer out of the line for these pieces (every line with `skus=None`); returns the SKUs left."""
    entries = WaitlistEntry.objects.filter(customer=customer).select_related("item")
    if skus is not None:
        wanted = [sku.strip().upper() for sku in skus]
        entries = entries.alias(sku_upper=Upper("item__sku")).filter(sku_upper__in=wanted)
    left = sorted(entry.item.sku for entry in entries)
    if left:
        WaitlistEntry.objects.filter(pk__in=[entry.pk for entry in entries]).delete()
        logger.info("customer left waitlists", extra={"customer": customer.pk, "skus": left})
    return left


@dataclass(frozen=True)
class WaitlistTurn:
    """A piece came free for the first reachable customer in its line: `held` for them (until
    `item.held_until`), or only to be told it is available (WAITLIST_AUTO_HOLD off)."""

    item: Item
    customer: Customer
    held: bool


def pass_to_waitlist(*, item_id: int, now: datetime | None = None) -> WaitlistTurn | None:
    """The piece is on sale again: the first customer in its line who can be written to now (window open,
    no STOP, bot not paused) and is under the hold limit gets it held (WAITLIST_AUTO_HOLD) or is told it is
    free. Those skipped keep their place. None when the piece is not free or nobody can take it.

    Each try is a `reserve_item` (customer row, then item row), so the rules of every hold apply. Call it in
    the transaction that tells the customer: a retried turn finds the piece held and does nothing twice.
    """
    now = now or timezone.now()
    with transaction.atomic():
        item = Item.objects.free(now=now).filter(pk=item_id).first()
        if item is None or unsettled_drop_item(item=item, now=now, claimed=True) is not None:
            return None
        for entry in waitlist_line(item_id=item_id):
            if not can_be_written_to(customer=entry.customer, now=now):
                continue
            if not settings.WAITLIST_AUTO_HOLD:
                if entry.told_available_at is not None and entry.told_available_at >= item.updated_at:
                    return None  # already told since the piece last came free
                WaitlistEntry.objects.filter(pk=entry.pk).update(told_available_at=now)
                return WaitlistTurn(item=item, customer=entry.customer, held=False)
            try:
                held = reserve_item(sku=item.sku, customer=entry.customer, now=now)
            except HoldLimitReached:
                continue
            except DomainError:
                return None  # somebody took it meanwhile, or it left the shop
            logger.info("piece held for the next in line", extra={"sku": item.sku, "customer": entry.customer_id})
            return WaitlistTurn(item=held, customer=entry.customer, held=True)
    return None


def tell_waiting_customer(*, item_id: int, customer: Customer, now: datetime | None = None) -> WaitlistTurn | None:
    """The customer wrote again and a piece they wait for is free (their window may have been closed when it
    came free, so they were skipped). With WAITLIST_AUTO_HOLD the line's turn is taken again (`pass_to_waitlist`:
    whoever is first and reachable now gets it, perhaps them); without it they are told it is free, once since
    it last came free. None when there is nothing to tell. Call it in the transaction that tells them."""
    now = now or timezone.now()
    if settings.WAITLIST_AUTO_HOLD:
        return pass_to_waitlist(item_id=item_id, now=now)
    with transaction.atomic():
        item = Item.objects.free(now=now).filter(pk=item_id).first()
        if item is None or unsettled_drop_item(item=item, now=now, claimed=True) is not None:
            return None
        entry = WaitlistEntry.objects.select_for_update().filter(item=item, customer=customer).first()
        if entry is None or (entry.told_available_at is not None and entry.told_available_at >= item.updated_at):
            return None
        if not can_be_written_to(customer=customer, now=now):
            return None
        WaitlistEntry.objects.filter(pk=entry.pk).update(told_available_at=now)
        return WaitlistTurn(item=item, customer=customer, held=False)


# --- Drops ----------------------------------------------------------------------------------------


def schedule_drop(*, drops_at: datetime, skus: Iterable[str], name: str = "", now: datetime | None = None) -> Drop:
    """Put pieces in a drop: none of them shows on listings or can be held before `drops_at`.

    Locks the items in primary-key order. Raises `InvalidDrop` (no SKU, a time not in the future),
    `ItemNotFound`, or `ItemNotDroppable` (held, sold or hidden, or in another upcoming drop), and then
    changes nothing.
    """
    now = now or timezone.now()
    wanted = _drop_skus(drops_at=drops_at, skus=skus, now=now)
    name = name.strip() or f"Drop {timezone.localtime(drops_at):%Y-%m-%d %H:%M}"
    with transaction.atomic():
        items = _droppable_items(wanted=wanted, now=now, lock=True)
        drop = Drop.objects.create(name=name[: Drop._meta.get_field("name").max_length], drops_at=drops_at)
        DropItem.objects.bulk_create(DropItem(drop=drop, item=item) for item in items)
        Item.objects.filter(pk__in=[item.pk for item in items]).update(
            drops_at=drops_at, status=Item.Status.AVAILABLE, held_by=None, held_until=None, updated_at=now
        )
    logger.info("drop scheduled", extra={"drop": drop.pk, "drops_at": drops_at, "skus": wanted})
    return drop


def check_drop(*, drops_at: datetime, skus: Iterable[str], now: datetime | None = None) -> None:
    """Raise what `schedule_drop` would raise for these arguments, without locking or writing (forms)."""
    now = now or timezone.now()
    _droppable_items(wanted=_drop_skus(drops_at=drops_at, skus=skus, now=now), now=now, lock=False)


def _drop_skus(*, drops_at: datetime, skus: Iterable[str], now: datetime) -> list[str]:
    wanted = list(dict.fromkeys(sku.strip().upper() for sku in skus if sku.strip()))
    if not wanted:
        raise InvalidDrop("A drop needs at least one SKU.")
    if timezone.is_naive(drops_at):
        raise InvalidDrop("Give the drop time with its time zone, e.g. 2026-12-24T19:00:00+00:00.")
    if drops_at <= now:
        raise InvalidDrop(f"The drop time {drops_at.isoformat()} is not in the future.")
    return wanted


def _droppable_items(*, wanted: list[str], now: datetime, lock: bool) -> list[Item]:
    found = list(lock_items(skus=wanted)) if lock else list(_items_with_skus(wanted))
    items = {item.sku.upper(): item for item in found}
    for sku in wanted:
        item = items.get(sku)
        if item is None:
            raise ItemNotFound(sku)
        _check_droppable(item=item, now=now)
    return [items[sku] for sku in wanted]


def _items_with_skus(skus: list[str]) -> QuerySet[Item]:
    return Item.objects.alias(sku_upper=Upper("sku")).filter(sku_upper__in=skus)


def _check_droppable(*, item: Item, now: datetime) -> None:
    if item.status == Item.Status.SOLD:
        raise ItemNotDroppable(item.sku, "is sold")
    if item.status == Item.Status.HIDDEN:
        raise ItemNotDroppable(item.sku, "is hidden")
    if item.is_held(now=now):
        raise ItemNotDroppable(item.sku, "is held")
    upcoming = DropItem.objects.filter(item=item, drop__drops_at__gt=now).select_related("drop").first()
    if upcoming is not None:
        raise ItemNotDroppable(item.sku, f"is already in the upcoming drop {upcoming.drop.name!r}")


def add_to_drop(*, drop: Drop, sku: str, now: datetime | None = None) -> DropItem:
    """Add one more piece to an upcoming drop (the admin). Locks the item row; raises like `schedule_drop`."""
    now = now or timezone.now()
    if drop.drops_at <= now:
        raise InvalidDrop(f"{drop.name} has already dropped.")
    with transaction.atomic():
        item = lock_items(skus=[sku]).first()
        if item is None:
            raise ItemNotFound(sku)
        _check_droppable(item=item, now=now)
        drop_item = DropItem.objects.create(drop=drop, item=item)
        Item.objects.filter(pk=item.pk).update(
            drops_at=drop.drops_at, status=Item.Status.AVAILABLE, held_by=None, held_until=None, updated_at=now
        )
    return drop_item


def remove_from_drop(*, item: Item, now: datetime | None = None) -> Item:
    """Take a piece out of its drop still to come: it is on sale at once. Locks the item row. Raises
    `InvalidDrop` when the piece is in no drop still to come."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = lock_items(ids=[item.pk]).first()
        drop_item = DropItem.objects.filter(item=item, drop__drops_at__gt=now).select_related("drop").first()
        if locked is None or drop_item is None:
            raise InvalidDrop(f"{item.sku} is in no drop still to come.")
        drop_item.delete()
        # Back to the time of an earlier drop it was in, if any (past, so it is on sale): `reserve_item` asks
        # whether a drop is being settled only for pieces with a drop time.
        locked.drops_at = (
            DropItem.objects.filter(item=item).order_by("-drop__drops_at").values_list("drop__drops_at", flat=True)
        ).first()
        locked.save(update_fields=["drops_at", "updated_at"])
    logger.info("item removed from a drop", extra={"sku": locked.sku, "drop": drop_item.drop_id})
    return locked


def claim_drop_item(
    *, item: Item, customer: Customer, message: Message, written_at_ms: int, now: datetime | None = None
) -> DropClaim | None:
    """Record a message that would hold a piece that has just dropped, instead of holding it. None when the
    piece is not being given away in a drop right now (it is then held, waitlisted… as usual).

    Locks the drop item row `FOR SHARE`, so a claim is either in before the drop item is settled (the
    settlement's lock waits for it) or sees it settled, while claims by different customers go in side by side
    rather than one after another. One claim per customer (their messages come one at a time): the earliest of
    their messages counts. The first claim schedules the settling job DROP_SETTLE_SECONDS later (after commit).
    """
    now = now or timezone.now()
    if item.drops_at is None or item.drops_at > now:
        return None  # never in a drop (schedule_drop sets `drops_at`), or its drop is still to come
    with transaction.atomic():
        # The first claim marks the drop item before any shared lock is taken (an update waiting on others' shared
        # locks while they wait on it would deadlock); from then on this matches nothing.
        first = mark_first_claim(item_id=item.pk, now=now)
        claim = save_drop_claim(
            item_id=item.pk,
            customer_id=customer.pk,
            message=message,
            written_at_ms=written_at_ms,
            now=now,
            piece_checked=first is not None,
        )
        if claim is None:
            return None  # settled meanwhile, or the owner held or sold the piece by hand
        if first is not None:
            transaction.on_commit(partial(enqueue_drop_settlement, drop_item_id=first))
    logger.info("drop claim recorded", extra={"sku": item.sku, "customer": customer.pk, "at_ms": written_at_ms})
    return claim


def enqueue_drop_settlement(*, drop_item_id: int, delay_seconds: float | None = None) -> None:
    """Schedule the drop item's settling job (DROP_SETTLE_SECONDS from now unless told). A broker outage is
    logged: the settle sweep finds the drop item."""
    from inventory.tasks import settle_drop_item

    delay = settings.DROP_SETTLE_SECONDS if delay_seconds is None else delay_seconds
    try:
        settle_drop_item.send_with_options(args=(drop_item_id,), delay=max(0, int(delay * 1000)))
    except Exception:
        logger.exception("drop settlement not enqueued; the sweep will settle it", extra={"drop_item": drop_item_id})


def settling_deadline(*, drops_at: datetime, received: Iterable[datetime]) -> datetime | None:
    """Claims count when the webhook received them at most DROP_SETTLE_SECONDS after the first claim that
    came in after the drop time (or the first of all, if none did). None without claims."""
    received = sorted(received)
    if not received:
        return None
    after_drop = [moment for moment in received if moment >= drops_at]
    first = after_drop[0] if after_drop else received[0]
    return first + timedelta(seconds=settings.DROP_SETTLE_SECONDS)


@dataclass(frozen=True)
class ClaimOutcome:
    claim: DropClaim
    won: bool
    place: int | None  # place in the piece's waitlist when not won


@dataclass(frozen=True)
class DropSettlement:
    drop_item: DropItem
    item: Item
    winner: Customer | None
    outcomes: list[ClaimOutcome] = field(default_factory=list)


def settle_drop_item(
    *, drop_item_id: int, received_at: Mapping[str, datetime], now: datetime | None = None
) -> DropSettlement | None:
    """Give a dropped piece to the claim with the earliest TikTok timestamp (ties by TikTok message id)
    among those the webhook received within the settling window and written at or after the drop time;
    everyone else goes on the piece's waitlist in that same order (late, then too-early claims after).

    `received_at` maps each claim's TikTok message id to when the webhook received it. Locks the drop item
    row (claims wait on it), then each winner candidate's customer row and the item row (`reserve_item`'s
    order). Idempotent: a settled drop item returns None. A winner at the hold limit is passed over.
    """
    now = now or timezone.now()
    with transaction.atomic():
        drop_item = (
            DropItem.objects.select_for_update(no_key=True, of=("self",))
            .select_related("drop", "item")
            .filter(pk=drop_item_id)
            .first()
        )
        if drop_item is None or drop_item.settled_at is not None:
            return None
        claims = list(drop_claims_in_order(drop_item_id=drop_item.pk))
        for claim in claims:
            claim.received_at = received_at.get(claim.tiktok_message_id, claim.created_at)
        drops_at_ms = int(drop_item.drop.drops_at.timestamp() * 1000)
        deadline = settling_deadline(drops_at=drop_item.drop.drops_at, received=[c.received_at for c in claims])
        counted = [c for c in claims if c.written_at_ms >= drops_at_ms and c.received_at <= deadline]
        late = [c for c in claims if c.written_at_ms >= drops_at_ms and c.received_at > deadline]
        early = [c for c in claims if c.written_at_ms < drops_at_ms]
        winner: DropClaim | None = None
        item = drop_item.item
        for claim in counted:
            try:
                item = _hold_for_drop(item_id=drop_item.item_id, customer=claim.customer, now=now)
            except HoldLimitReached:
                continue
            except DomainError:
                break  # the piece is no longer free: everyone waits
            winner = claim
            break
        outcomes = []
        in_line = []
        for group, outcome_if_lost in (
            (counted, DropClaim.Outcome.LOST),
            (late, DropClaim.Outcome.LATE),
            (early, DropClaim.Outcome.EARLY),
        ):
            for claim in group:
                if claim is winner:
                    claim.outcome, claim.waitlist_place = DropClaim.Outcome.WON, None
                    outcomes.append(ClaimOutcome(claim=claim, won=True, place=None))
                    continue
                in_line.append(
                    WaitlistEntry(
                        item=drop_item.item,
                        customer=claim.customer,
                        queued_at=datetime.fromtimestamp(claim.written_at_ms / 1000, tz=UTC),
                    )
                )
                claim.outcome = outcome_if_lost
                outcomes.append(ClaimOutcome(claim=claim, won=False, place=None))
        # Everyone else in line at once, by TikTok time; a customer already in line keeps their place.
        WaitlistEntry.objects.bulk_create(in_line, ignore_conflicts=True)
        line = waitlist_line(item_id=drop_item.item_id).values_list("customer_id", flat=True)
        places = {customer_id: position for position, customer_id in enumerate(line, start=1)}
        outcomes = [
            outcome if outcome.won else ClaimOutcome(outcome.claim, False, places.get(outcome.claim.customer_id))
            for outcome in outcomes
        ]
        for outcome in outcomes:
            outcome.claim.waitlist_place = outcome.place
        _save_claim_outcomes([outcome.claim for outcome in outcomes])
        drop_item.settled_at = now
        drop_item.winner = winner.customer if winner else None
        drop_item.save(update_fields=["settled_at", "winner"])
    logger.info(
        "drop item settled",
        extra={"sku": drop_item.item.sku, "claims": len(claims), "winner": winner.customer_id if winner else None},
    )
    return DropSettlement(drop_item=drop_item, item=item, winner=winner.customer if winner else None, outcomes=outcomes)


def _save_claim_outcomes(claims: Sequence[DropClaim]) -> None:
    """Write settled claims' outcome, waitlist place and receipt time in one `UPDATE ... FROM unnest(...)`:
    the ORM's `bulk_update` spent longer building its CASE expressions for a drop's hundreds of claims than the
    rest of the settlement."""
    with connection.cursor() as cursor:
        cursor.execute(
            _save_claim_outcomes_sql(),
            [
                [claim.pk for claim in claims],
                [claim.outcome for claim in claims],
                [claim.waitlist_place for claim in claims],
                [claim.received_at for claim in claims],
            ],
        )


@cache
def _save_claim_outcomes_sql() -> str:
    meta = DropClaim._meta
    outcome, place, received = (meta.get_field(name).column for name in ("outcome", "waitlist_place", "received_at"))
    return (
        f'UPDATE "{meta.db_table}" AS c SET "{outcome}" = v.outcome, "{place}" = v.place, "{received}" = v.received '
        "FROM unnest(%s::bigint[], %s::text[], %s::integer[], %s::timestamptz[]) AS v(id, outcome, place, received) "
        f'WHERE c."{meta.pk.column}" = v.id'
    )


def _hold_for_drop(*, item_id: int, customer: Customer, now: datetime) -> Item:
    """A drop's winner gets the hold: the usual hold rules, minus the drop's own "being settled" refusal."""
    with transaction.atomic():
        lock_customer(customer.pk)
        candidate = lock_item_to_hold(item_id=item_id, customer_id=customer.pk, now=now)
        if candidate is None:
            raise ItemNotFound(str(item_id))
        return _hold(candidate, customer=customer, hours=_hold_hours(None), now=now)


def sell_items_on_sale(*, item_ids: Iterable[int], now: datetime | None = None) -> list[Item]:
    """Sell items that are on sale right now, all or none (a late payment reinstating its order).

    Locks the item rows in primary-key order; raises `ItemUnavailable` for the first item that is held,
    sold or hidden, and then changes nothing. Called inside the order's transaction.
    """
    item_ids = list(item_ids)
    now = now or timezone.now()
    with transaction.atomic():
        items = list(lock_items(ids=item_ids))
        for item in items:
            if not item.is_on_sale(now=now):
                raise ItemUnavailable(item.sku, item.status, item.held_until)
        Item.objects.filter(pk__in=item_ids).update(
            status=Item.Status.SOLD, held_by=None, held_until=None, updated_at=now
        )
    logger.info("items sold again", extra={"skus": [item.sku for item in items]})
    return items


def clear_stock() -> dict[str, int]:
    """Delete every item (`seed --clear`); returns how many. Raises `ProtectedError` while an order line
    still refers to one (clear the orders first)."""
    with transaction.atomic():
        _, deleted = Item.objects.all().delete()
    return {"items": deleted.get(Item._meta.label, 0)}


# --- New pieces, SKUs and photos -------------------------------------------------------------------

# What describes a piece; the rest of an item (status, hold, times) is the shop's state, not its description.
DESCRIPTIVE_FIELDS = (
    "sku", "name", "description", "brand", "category", "colour", "era", "price", "size_label", "measurements",
    "condition", "image_url",
)  # fmt: skip
SKU_PREFIX = "VNT"
CATEGORY_CODES = {
    Item.Category.JACKET: "JKT",
    Item.Category.SWEATSHIRT: "SWT",
    Item.Category.SWEATER: "KNIT",
    Item.Category.SHIRT: "SHRT",
    Item.Category.TSHIRT: "TEE",
    Item.Category.JEANS: "JEAN",
    Item.Category.TROUSERS: "TRS",
    Item.Category.SHORTS: "SHRTS",
    Item.Category.DRESS: "DRS",
    Item.Category.SKIRT: "SKRT",
    Item.Category.SHOES: "SHOE",
    Item.Category.ACCESSORY: "ACC",
    Item.Category.OTHER: "MISC",
}
SKU_ATTEMPTS = 5


def brand_code(brand: str) -> str:
    """The brand's part of a SKU: "Nike" → NIKE, "Carhartt" → CARH, "Levi's" → LEVI, "The North Face" → TNF."""
    ascii_brand = unicodedata.normalize("NFKD", brand).encode("ascii", "ignore").decode().upper()
    words = [re.sub(r"[^A-Z0-9]", "", word) for word in ascii_brand.split()]
    words = [word for word in words if word]
    if not words:
        return "VTG"  # no brand: plain vintage
    if len(words) >= 3:
        return "".join(word[0] for word in words)
    return words[0][:4]


def generate_sku(*, brand: str, category: str) -> str:
    """The next free SKU for a brand and category, in the shop's shape: VNT-NIKE-JKT-001, VNT-NIKE-JKT-002, ...

    Numbered after the highest existing number with that prefix (any case). Free when read: `add_item` retries
    with the next number if another writer takes it first.
    """
    prefix = f"{SKU_PREFIX}-{brand_code(brand)}-{CATEGORY_CODES.get(category, 'MISC')}-"
    pattern = re.compile(rf"^{re.escape(prefix)}(\d+)$", re.IGNORECASE)
    taken = Item.objects.filter(sku__istartswith=prefix).values_list("sku", flat=True)
    numbers = [int(match.group(1)) for sku in taken if (match := pattern.match(sku))]
    return f"{prefix}{max(numbers, default=0) + 1:03d}"


def add_item(*, fields: Mapping[str, Any], photos: Sequence[File | NormalisedPhoto] = ()) -> Item:
    """Put one new piece in stock with its photos (in the order given); returns the item.

    `fields` are the descriptive fields (`DESCRIPTIVE_FIELDS`) and optionally `status`, available (the default)
    or hidden. A blank SKU is generated from brand and category (`generate_sku`). Everything is checked first
    (`ValidationError`: a bad field or a photo that is not an image), then the photo files are written, then
    the item and its photo rows are created in one transaction; if that fails the files are deleted again.
    """
    unknown = set(fields) - {*DESCRIPTIVE_FIELDS, "status"}
    if unknown:
        raise ValidationError(f"Not a field of a new item: {', '.join(sorted(unknown))}.")
    status = fields.get("status") or Item.Status.AVAILABLE
    if status not in (Item.Status.AVAILABLE, Item.Status.HIDDEN):
        raise ValidationError({"status": "A new item is either on sale (available) or hidden."})
    item = Item(**{**fields, "status": status, "held_by": None, "held_until": None})
    item.sku = (item.sku or "").strip()
    generated = not item.sku
    if generated:
        item.sku = generate_sku(brand=item.brand, category=item.category)
    item.full_clean()
    normalised = [photo if isinstance(photo, NormalisedPhoto) else normalise_photo(photo) for photo in photos]
    storage = ItemPhoto._meta.get_field("image").storage
    stored = [store_photo(photo, storage=storage) for photo in normalised]
    try:
        with transaction.atomic():
            _insert_with_free_sku(item, generated=generated)
            ItemPhoto.objects.bulk_create(
                ItemPhoto(
                    item=item, image=image, thumbnail=thumbnail, width=photo.width, height=photo.height, position=i
                )
                for i, (photo, (image, thumbnail)) in enumerate(zip(normalised, stored, strict=True))
            )
    except BaseException:
        _delete_files([name for pair in stored for name in pair], storage=storage)
        raise
    logger.info("item added", extra={"sku": item.sku, "photos": len(stored), "sku_generated": generated})
    return item


def _insert_with_free_sku(item: Item, *, generated: bool) -> None:
    for attempt in range(SKU_ATTEMPTS):
        try:
            with transaction.atomic():  # a savepoint, so a clash leaves the outer transaction usable
                item.save(force_insert=True)
            return
        except IntegrityError as exc:
            # Only a generated SKU taken meanwhile is retried; anything else is a real error.
            if not generated or "sku" not in str(exc) or attempt == SKU_ATTEMPTS - 1:
                raise
            item.pk = None
            number = int(item.sku.rsplit("-", 1)[1])
            item.sku = f"{item.sku.rsplit('-', 1)[0]}-{max(number + 1, 1):03d}"


def duplicate_item(*, sku: str) -> Item:
    """A new piece like this one (same description, brand, category, size, price, condition, measurements), on
    sale under a new SKU from `generate_sku`; returns it.

    It copies no hold, and neither its photos nor its image URL: every piece is one of a kind, so the new one
    is photographed on its own (another piece's photos would show the other piece's flaws). Raises `ItemNotFound`.
    """
    item = Item.objects.filter(sku__iexact=sku.strip()).first()
    if item is None:
        raise ItemNotFound(sku)
    fields = {name: getattr(item, name) for name in DESCRIPTIVE_FIELDS if name not in ("sku", "image_url")}
    return add_item(fields={**fields, "sku": ""})


def add_photo(*, item: Item, photo: File | NormalisedPhoto, position: int | None = None) -> ItemPhoto:
    """Normalise (unless already done) and store a photo of `item`; `position` defaults to after the last one.

    Raises `ValidationError` when the file is not an image we can read. The file is written before the row;
    if the row cannot be written the file is deleted again.
    """
    normalised = photo if isinstance(photo, NormalisedPhoto) else normalise_photo(photo)
    storage = ItemPhoto._meta.get_field("image").storage
    image, thumbnail = store_photo(normalised, storage=storage)
    try:
        if position is None:
            last = item.photos.order_by("-position").values_list("position", flat=True).first()
            position = 0 if last is None else last + 1
        created = ItemPhoto.objects.create(
            item=item,
            image=image,
            thumbnail=thumbnail,
            width=normalised.width,
            height=normalised.height,
            position=position,
        )
    except BaseException:
        _delete_files([image, thumbnail], storage=storage)
        raise
    logger.info("photo added", extra={"sku": item.sku, "photo": created.pk})
    return created


def replace_photo(*, photo: ItemPhoto, new: File | NormalisedPhoto) -> ItemPhoto:
    """Put a new picture in place of `photo` (same position); the old files are deleted once that is committed."""
    normalised = new if isinstance(new, NormalisedPhoto) else normalise_photo(new)
    storage = photo.image.storage
    old_files = [photo.image.name, photo.thumbnail.name]
    image, thumbnail = store_photo(normalised, storage=storage)
    photo.image, photo.thumbnail = image, thumbnail
    photo.width, photo.height = normalised.width, normalised.height
    try:
        photo.save(update_fields=["image", "thumbnail", "width", "height"])
    except BaseException:
        _delete_files([image, thumbnail], storage=storage)
        raise
    transaction.on_commit(lambda: _delete_files(old_files, storage=storage))
    return photo


def move_photo(*, photo: ItemPhoto, position: int) -> ItemPhoto:
    """Give a photo another place in its item's order (lower first)."""
    if position < 0:
        raise ValidationError({"position": "A photo's position is 0 or more."})
    photo.position = position
    photo.save(update_fields=["position"])
    return photo


def remove_photo(*, photo: ItemPhoto) -> None:
    """Delete a photo's row now and its files once that is committed (never a row pointing at a missing file)."""
    storage = photo.image.storage
    files = [photo.image.name, photo.thumbnail.name]
    photo.delete()
    transaction.on_commit(lambda: _delete_files(files, storage=storage))
    logger.info("photo removed", extra={"item": photo.item_id, "files": files})


def photo_files_of(*, items: Iterable[Item]) -> list[str]:
    """The stored files (photos and thumbnails) of these items' photos: read before deleting the items."""
    names = ItemPhoto.objects.filter(item__in=items).values_list("image", "thumbnail")
    return [name for pair in names for name in pair]


def delete_files_after_commit(names: Sequence[str]) -> None:
    """Delete stored files once the current transaction commits (rows that pointed at them are gone by then)."""
    if names:
        storage = ItemPhoto._meta.get_field("image").storage
        transaction.on_commit(lambda: _delete_files(names, storage=storage))


def _delete_files(names: Iterable[str], *, storage: Any) -> None:
    for name in names:
        try:
            storage.delete(name)
        except Exception:  # a file left behind costs disk space, never a page; log it and carry on
            logger.exception("photo file not deleted", extra={"file": name})
