"""Selling pieces and putting them back on sale. Orders call these inside their own transactions, after
locking their own rows."""

import logging
from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from conversations.models import Customer
from inventory.exceptions import ItemNotFound, ItemUnavailable, NotHeldBy
from inventory.jobs import enqueue_waitlist_turn
from inventory.locks import lock_items
from inventory.models import Item

logger = logging.getLogger(__name__)


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
            enqueue_waitlist_turn(item_id=item_id)
    if returned:
        logger.info("items back on sale", extra={"count": returned})
    return returned


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
