"""Writes to the stock. Every change to an item's status or hold goes through here (orders call
`sell_items` and `put_back_on_sale` inside their own transactions)."""

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.functions import Upper
from django.utils import timezone

from conversations.models import Customer
from inventory.exceptions import (
    HoldLimitReached,
    InvalidHoldLength,
    InvalidItemStatusChange,
    ItemNotFound,
    ItemNotHeld,
    ItemUnavailable,
    NotHeldBy,
)
from inventory.locks import lock_items
from inventory.models import Item
from inventory.selectors import current_holds
from philia.db import locking_transaction

logger = logging.getLogger(__name__)

MAX_HOLD_HOURS = 24 * 14


def reserve_item(*, sku: str, customer: Customer, hours: int | None = None, now: datetime | None = None) -> Item:
    """Hold one item for a customer.

    Locks the customer row, then the item row (`FOR NO KEY UPDATE`), so two buyers of the same item
    are served one after the other and exactly one wins. Holding an item you already hold again
    extends the hold (never shortens it). Raises `InvalidHoldLength`, `ItemNotFound`, `ItemUnavailable`
    or `HoldLimitReached`, and then changes nothing.
    """
    hours = settings.HOLD_HOURS if hours is None else hours
    if isinstance(hours, bool) or not isinstance(hours, int) or not 0 < hours <= MAX_HOLD_HOURS:
        raise InvalidHoldLength(hours, MAX_HOLD_HOURS)
    with locking_transaction():
        # The customer row serialises one customer's holds, so the hold limit cannot be raced past.
        Customer.objects.select_for_update(no_key=True).filter(pk=customer.pk).first()
        item = lock_items(skus=[sku]).first()
        now = now or timezone.now()
        if item is None:
            raise ItemNotFound(sku)
        hold_is_current = item.status == Item.Status.RESERVED and item.held_until > now
        extends_own_hold = hold_is_current and item.held_by_id == customer.pk
        if item.status in (Item.Status.SOLD, Item.Status.HIDDEN) or (hold_is_current and not extends_own_hold):
            raise ItemUnavailable(item.sku, item.status, item.held_until)
        # Taking an item back after one's own hold ran out is a new hold: it counts against the limit.
        limit = settings.MAX_HOLDS_PER_CUSTOMER
        if not extends_own_hold and current_holds(customer=customer, now=now).count() >= limit:
            raise HoldLimitReached(limit)
        held_until = now + timedelta(hours=hours)
        if extends_own_hold:
            held_until = max(held_until, item.held_until)
        item.status = Item.Status.RESERVED
        item.held_by = customer
        item.held_until = held_until
        item.save(update_fields=["status", "held_by", "held_until", "updated_at"])
    logger.info("item held", extra={"sku": item.sku, "customer": customer.pk, "held_until": item.held_until})
    return item


def release_hold(*, sku: str, by: Customer | None = None) -> Item:
    """Put a held item back on sale. `by=None` is staff; a customer may only release their own hold.

    Locks the item row. Raises `ItemNotFound`, `ItemNotHeld` or `NotHeldBy`.
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
    logger.info("hold released", extra={"sku": item.sku, "customer": holder, "by_staff": by is None})
    return item


def release_expired_holds(*, now: datetime | None = None) -> int:
    """Put every item whose hold has run out back on sale; returns how many. Idempotent.

    Locks the expired rows in primary-key order, skipping rows another transaction has locked (a
    reserve or an order deciding about that very item; the next sweep sees what it left), so the sweep
    never waits on, nor deadlocks with, a buyer.
    """
    now = now or timezone.now()
    with transaction.atomic():
        expired_ids = list(
            Item.objects.filter(status=Item.Status.RESERVED, held_until__lte=now)
            .select_for_update(no_key=True, skip_locked=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        released = Item.objects.filter(pk__in=expired_ids).update(
            status=Item.Status.AVAILABLE, held_by=None, held_until=None, updated_at=timezone.now()
        )
    if released:
        logger.info("expired holds released", extra={"count": released})
    return released


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
            if item.status != Item.Status.RESERVED or item.held_by_id != customer.pk or item.held_until <= now:
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
    `orders.cancel_order` inside its transaction, after it has locked the order row.
    """
    item_ids = list(item_ids)
    with transaction.atomic():
        list(lock_items(ids=item_ids))
        returned = Item.objects.filter(pk__in=item_ids, status=Item.Status.SOLD).update(
            status=Item.Status.AVAILABLE, updated_at=timezone.now()
        )
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
    held_by_someone_else = (
        item.status == Item.Status.RESERVED and item.held_by_id != customer.pk and item.held_until > now
    )
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
            hold_ran_out = item.status == Item.Status.RESERVED and item.held_until <= now
            if item.status != Item.Status.AVAILABLE and not hold_ran_out:
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
