"""The one place that locks items (and the customer a hold is for, and the drop item a claim is for).

Always ordered by primary key, so two transactions that lock several items never deadlock. A hold, the one
write a drop or a busy evening makes hundreds of times a second, has its statements here written out in SQL
(`lock_customer`, `lock_item_to_hold`, `save_hold`): the ORM spent four times the hold's own work building
them (bench/reserve.py). Their column names come from the models, and what is read goes through the ORM's own
converters, so they follow the schema.
"""

from collections.abc import Iterable
from datetime import datetime
from functools import cache, reduce
from operator import or_
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import Q, QuerySet

from conversations.models import Customer
from inventory.models import DropItem, Item, WaitlistEntry

# What a hold writes: `save_hold`.
HOLD_FIELDS = ("status", "held_by", "held_until", "held_since", "hold_reminded_at", "hold_extended_at", "updated_at")


def lock_items(*, ids: Iterable[int] | None = None, skus: Iterable[str] | None = None) -> QuerySet[Item]:
    """Items by id or SKU, locked `FOR NO KEY UPDATE` in primary-key order. Call inside `transaction.atomic`.

    SKUs match case-insensitively and without surrounding spaces, like `selectors.get_item`: customers type
    "vnt-nike-wb-001" as often as "VNT-NIKE-WB-001" (the `item_sku_unique_ci` constraint keeps it one row).
    """
    queryset = Item.objects.all()
    if ids is not None:
        queryset = queryset.filter(id__in=list(ids))
    if skus is not None:
        matches = [Q(sku__iexact=sku.strip()) for sku in skus]
        queryset = queryset.filter(reduce(or_, matches)) if matches else queryset.none()
    return queryset.select_for_update(no_key=True).order_by("pk")


def lock_customer(customer_id: str) -> None:
    """Lock the customer row (`FOR NO KEY UPDATE`, nothing read): it serialises one customer's holds, so the
    hold limit cannot be raced past. SQLite needs nothing: its IMMEDIATE transactions run one at a time."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_LOCK_CUSTOMER_SQL, [customer_id])


_LOCK_CUSTOMER_SQL = (
    f'SELECT 1 FROM "{Customer._meta.db_table}" WHERE "{Customer._meta.pk.column}" = %s FOR NO KEY UPDATE'
)


class HoldCandidate(NamedTuple):
    """An item locked to be held, read with what the hold rules ask of the customer in the same statement."""

    item: Item
    holds: int  # the customer's current holds (any item)
    waiting: bool  # the customer is in this item's line


def lock_item_to_hold(
    *, customer_id: str, now: datetime, sku: str | None = None, item_id: int | None = None
) -> HoldCandidate | None:
    """The item with `sku` (as `lock_items` matches it) or `item_id`, locked `FOR NO KEY UPDATE` like
    `lock_items`, with the customer's current holds counted and their place in its line looked up in the same
    statement: one round trip instead of three for the hot path of a hold. None if there is no such item.

    Call inside the transaction that has locked the customer row: that lock serialises the customer's holds,
    so the count cannot change before the hold is written.
    """
    fields = Item._meta.concrete_fields
    with connection.cursor() as cursor:
        cursor.execute(
            _hold_lock_sql(connection.vendor, by_sku=sku is not None),
            [
                customer_id,
                Item.Status.RESERVED,
                connection.ops.adapt_datetimefield_value(now),
                customer_id,
                item_id if sku is None else sku.strip(),
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    *values, holds, waiting = row
    for position, (converters, expression) in _item_converters(connection.alias):
        for converter in converters:
            values[position] = converter(values[position], expression, connection)
    item = Item.from_db(connection.alias, [field.attname for field in fields], values)
    return HoldCandidate(item=item, holds=holds, waiting=bool(waiting))


@cache
def _item_converters(alias: str) -> list[tuple[int, tuple[list, Any]]]:
    """The converters the ORM applies to an item's columns, by position (JSON from text; SQLite's dates,
    decimals and booleans), worked out once per database."""
    compiler = Item.objects.using(alias).all().query.get_compiler(using=alias)
    columns = [field.get_col(Item._meta.db_table) for field in Item._meta.concrete_fields]
    return list(compiler.get_converters(columns).items())


@cache
def _hold_lock_sql(vendor: str, *, by_sku: bool) -> str:
    item, line = Item._meta, WaitlistEntry._meta
    columns = ", ".join(f'i."{field.column}"' for field in item.concrete_fields)
    holder, status, until = (item.get_field(name).column for name in ("held_by", "status", "held_until"))
    waiting_item, waiting_customer = (line.get_field(name).column for name in ("item", "customer"))
    key, sku = item.pk.column, item.get_field("sku").column
    where = f'UPPER(i."{sku}") = UPPER(%s)' if by_sku else f'i."{key}" = %s'
    lock = " FOR NO KEY UPDATE OF i" if vendor == "postgresql" else ""
    return (
        f"SELECT {columns}, "
        f'(SELECT COUNT(*) FROM "{item.db_table}" h WHERE h."{holder}" = %s AND h."{status}" = %s AND h."{until}" > %s), '
        f'EXISTS (SELECT 1 FROM "{line.db_table}" w WHERE w."{waiting_item}" = i."{key}" AND w."{waiting_customer}" = %s) '
        f'FROM "{item.db_table}" i WHERE {where} ORDER BY i."{key}" LIMIT 1{lock}'
    )


def save_hold(item: Item) -> None:
    """Write the hold fields (HOLD_FIELDS) of a locked item, as `Item.objects.filter(pk=...).update()` would."""
    fields = [Item._meta.get_field(name) for name in HOLD_FIELDS]
    with connection.cursor() as cursor:
        cursor.execute(
            _save_hold_sql(),
            [field.get_db_prep_save(getattr(item, field.attname), connection) for field in fields] + [item.pk],
        )


@cache
def _save_hold_sql() -> str:
    columns = ", ".join(f'"{Item._meta.get_field(name).column}" = %s' for name in HOLD_FIELDS)
    return f'UPDATE "{Item._meta.db_table}" SET {columns} WHERE "{Item._meta.pk.column}" = %s'


def share_lock_unsettled_drop_item(drop_item_id: int) -> bool:
    """Lock the drop item row `FOR SHARE` if it is not settled: True if it is locked. Claims share the lock;
    the settlement's `FOR NO KEY UPDATE` waits for every claim holding it, and a claim waits for a settlement.
    SQLite's IMMEDIATE transactions run one at a time: there it only reads."""
    lock = " FOR SHARE" if connection.vendor == "postgresql" else ""
    meta = DropItem._meta
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT 1 FROM "{meta.db_table}" WHERE "{meta.pk.column}" = %s AND "{meta.get_field("settled_at").column}" '
            f"IS NULL{lock}",
            [drop_item_id],
        )
        return cursor.fetchone() is not None
