"""The one place that locks items (and the customer a hold is for, and the drop item a claim is for).

Always ordered by primary key, so two transactions that lock several items never deadlock. A hold, the one
write a drop or a busy evening makes hundreds of times a second, has its statements here written out in SQL
(`lock_customer`, `lock_item_to_hold`, `save_hold`): the ORM spent four times the hold's own work building
them (bench/reserve.py). So has a drop claim (`mark_first_claim`, `save_drop_claim`), and the read of a live
drop's pieces that answering each message during a drop starts with (`live_drop_pieces`). Their column names come
from the models, and what is read goes through the ORM's own converters, so they follow the schema.
"""

from collections.abc import Iterable
from datetime import datetime
from functools import cache, reduce
from operator import or_
from typing import Any, NamedTuple, TypeVar

from django.db import connection
from django.db.models import Field, Model, Q, QuerySet

from conversations.models import Customer, Message
from inventory.models import Drop, DropClaim, DropItem, Item, WaitlistEntry
from philia.db import column_of, concrete_field

M = TypeVar("M", bound=Model)

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
    hold limit cannot be raced past."""
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
    with connection.cursor() as cursor:
        cursor.execute(
            _hold_lock_sql(by_sku=sku is not None),
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
    return HoldCandidate(item=_from_db(Item, values), holds=holds, waiting=bool(waiting))


def _from_db(model: type[M], values: list[Any]) -> M:
    """The row of `model`'s columns (`concrete_fields` order) as the ORM would have read it."""
    for position, (converters, expression) in _converters(model, connection.alias):
        for converter in converters:
            values[position] = converter(values[position], expression, connection)
    return model.from_db(connection.alias, [field.attname for field in model._meta.concrete_fields], values)


@cache
def _converters(model: type[Model], alias: str) -> list[tuple[int, tuple[list, Any]]]:
    """The converters the ORM applies to a model's columns, by position (JSON from text, for one), worked out
    once per model and database."""
    compiler = model._default_manager.using(alias).all().query.get_compiler(using=alias)
    columns = [field.get_col(model._meta.db_table) for field in model._meta.concrete_fields]
    return list(compiler.get_converters(columns).items())


@cache
def _hold_lock_sql(*, by_sku: bool) -> str:
    item, line = Item._meta, WaitlistEntry._meta
    columns = ", ".join(f'i."{field.column}"' for field in item.concrete_fields)
    holder, status, until = (column_of(Item, name) for name in ("held_by", "status", "held_until"))
    waiting_item, waiting_customer = (column_of(WaitlistEntry, name) for name in ("item", "customer"))
    key, sku = item.pk.column, column_of(Item, "sku")
    where = f'UPPER(i."{sku}") = UPPER(%s)' if by_sku else f'i."{key}" = %s'
    return (
        f"SELECT {columns}, "
        f'(SELECT COUNT(*) FROM "{item.db_table}" h WHERE h."{holder}" = %s AND h."{status}" = %s AND h."{until}" > %s), '
        f'EXISTS (SELECT 1 FROM "{line.db_table}" w WHERE w."{waiting_item}" = i."{key}" AND w."{waiting_customer}" = %s) '
        f'FROM "{item.db_table}" i WHERE {where} ORDER BY i."{key}" LIMIT 1 FOR NO KEY UPDATE OF i'
    )


def save_hold(item: Item) -> None:
    """Write the hold fields (HOLD_FIELDS) of a locked item, as `Item.objects.filter(pk=...).update()` would."""
    fields = [concrete_field(Item, name) for name in HOLD_FIELDS]
    with connection.cursor() as cursor:
        cursor.execute(
            _save_hold_sql(),
            [field.get_db_prep_save(getattr(item, field.attname), connection) for field in fields] + [item.pk],
        )


@cache
def _save_hold_sql() -> str:
    columns = ", ".join(f'"{column_of(Item, name)}" = %s' for name in HOLD_FIELDS)
    return f'UPDATE "{Item._meta.db_table}" SET {columns} WHERE "{Item._meta.pk.column}" = %s'


def mark_first_claim(*, item_id: int, now: datetime) -> int | None:
    """Mark the item's drop item (the unsettled one whose drop time has passed, earliest drop first) as first
    claimed at `now`, unless it has been claimed already or the piece is not free now: the id of the drop item
    marked, else None (in a drop's steady state this matches nothing and locks nothing).

    Call it before `save_drop_claim` in the same transaction, and record the claim there: a drop item marked
    without a claim would be settled for nothing. The UPDATE locks the drop item row, so a second first claim
    waits for it, then marks nothing; sent after the shared lock, it would wait for other claims' shared locks
    while they wait for it.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            _mark_first_claim_sql(),
            [
                connection.ops.adapt_datetimefield_value(now),
                *_drop_item_parameters(item_id=item_id, now=now),
                item_id,
                *_free_parameters(now=now),
            ],
        )
        row = cursor.fetchone()
    return None if row is None else row[0]


def save_drop_claim(
    *, item_id: int, customer_id: str, message: Message, written_at_ms: int, now: datetime, piece_checked: bool
) -> DropClaim | None:
    """Lock the item's drop item (as `mark_first_claim` finds it) `FOR SHARE` and, once it has been claimed
    and while the piece is free now, write the customer's claim in the same statement: the claim as stored, or
    None when the drop item is settled (or was never claimed) or the piece is not free.

    One claim per customer: a message earlier by (`written_at_ms`, TikTok message id) replaces their claim's,
    a later one leaves it. A message without a TikTok id is recorded as "message-<pk>". `piece_checked`: this
    transaction's `mark_first_claim` has just found the piece free (and locked the drop item since), so the
    piece is not looked at again. The shared lock lets claims by different customers go in side by side, while
    the settlement's `FOR NO KEY UPDATE` waits for every claim holding it.
    """
    sent_id = message.tiktok_message_id or ""
    claim = DropClaim(
        customer_id=customer_id,
        message_id=message.pk,
        tiktok_message_id=sent_id or f"message-{message.pk}",
        written_at_ms=written_at_ms,
    )
    written = [field.get_db_prep_save(field.pre_save(claim, True), connection) for field in _claim_written_fields()]
    with connection.cursor() as cursor:
        cursor.execute(
            _save_claim_sql(),
            [
                *written,
                *_drop_item_parameters(item_id=item_id, now=now),
                piece_checked,
                *_free_parameters(now=now),
                *[sent_id] * 4,  # the earlier-message test of each of the three SET clauses, and the last one's own
            ],
        )
        row = cursor.fetchone()
    return None if row is None else _from_db(DropClaim, list(row))


def _drop_item_parameters(*, item_id: int, now: datetime) -> list[Any]:
    return [connection.ops.adapt_datetimefield_value(now), item_id]


def _free_parameters(*, now: datetime) -> list[Any]:
    moment = connection.ops.adapt_datetimefield_value(now)
    return [Item.Status.AVAILABLE, Item.Status.RESERVED, moment, moment]


def _dropped_sql(column: str) -> str:
    """`column` of the drop items not settled whose drop time has passed (`u`, their drop `p`); then more
    conditions."""
    drop_item, drop = DropItem._meta, Drop._meta
    in_drop, settled = (column_of(DropItem, name) for name in ("drop", "settled_at"))
    return (
        f'SELECT u."{column}" FROM "{drop_item.db_table}" u JOIN "{drop.db_table}" p ON p."{drop.pk.column}" = u."{in_drop}" '
        f'WHERE u."{settled}" IS NULL AND p."{column_of(Drop, "drops_at")}" <= %s'
    )


def _drop_item_sql() -> str:
    """The id of the item's drop item being given away now, as `selectors.unsettled_drop_item` finds it."""
    key, item, drops_at = (
        column_of(DropItem, "pk"),
        column_of(DropItem, "item"),
        column_of(Drop, "drops_at"),
    )
    return f'{_dropped_sql(key)} AND u."{item}" = %s ORDER BY p."{drops_at}", u."{key}" LIMIT 1'


def _free_sql(alias: str) -> str:
    """The item `alias` is free now: `Item.objects.free` (inventory.models) in SQL, for the raw statements here;
    change both together."""
    status, until, drops_at = (column_of(Item, name) for name in ("status", "held_until", "drops_at"))
    return (
        f'({alias}."{status}" = %s OR ({alias}."{status}" = %s AND {alias}."{until}" <= %s)) '
        f'AND ({alias}."{drops_at}" IS NULL OR {alias}."{drops_at}" <= %s)'
    )


def live_drop_pieces(*, now: datetime, recent_since: datetime, limit: int) -> list[Item]:
    """Free items whose drop item is unsettled with its drop time passed, and claimed already or dropped at or
    after `recent_since`; in drop-time then SKU order (see `selectors.live_drop_items`). Nothing locked."""
    with connection.cursor() as cursor:
        cursor.execute(
            _live_drop_pieces_sql(),
            [
                connection.ops.adapt_datetimefield_value(now),
                connection.ops.adapt_datetimefield_value(recent_since),
                *_free_parameters(now=now),
                limit,
            ],
        )
        return [_from_db(Item, list(row)) for row in cursor.fetchall()]


@cache
def _live_drop_pieces_sql() -> str:
    item = Item._meta
    columns = ", ".join(f'i."{field.column}"' for field in item.concrete_fields)
    piece, first = (column_of(DropItem, name) for name in ("item", "first_claim_at"))
    drops_at = column_of(Drop, "drops_at")
    return (
        f'SELECT {columns} FROM "{item.db_table}" i WHERE i."{item.pk.column}" IN ('
        f'{_dropped_sql(piece)} AND (u."{first}" IS NOT NULL OR p."{drops_at}" >= %s)'
        f') AND {_free_sql("i")} ORDER BY i."{column_of(Item, "drops_at")}", i."{column_of(Item, "sku")}" LIMIT %s'
    )


@cache
def _mark_first_claim_sql() -> str:
    meta = DropItem._meta
    key, first, settled = meta.pk.column, column_of(DropItem, "first_claim_at"), column_of(DropItem, "settled_at")
    # The drop item's own conditions again: PostgreSQL checks them again on the row it waited for.
    return (
        f'UPDATE "{meta.db_table}" SET "{first}" = %s '
        f'WHERE "{key}" = ({_drop_item_sql()}) AND "{first}" IS NULL AND "{settled}" IS NULL '
        f'AND EXISTS (SELECT 1 FROM "{Item._meta.db_table}" i WHERE i."{Item._meta.pk.column}" = %s AND {_free_sql("i")}) '
        f'RETURNING "{key}"'
    )


@cache
def _claim_written_fields() -> list[Field]:
    """What a claim writes besides its drop item: every column but the key, defaults and `created_at` too."""
    meta = DropClaim._meta
    return [field for field in meta.concrete_fields if field not in (meta.pk, meta.get_field("drop_item"))]


@cache
def _save_claim_sql() -> str:
    claim, drop_item, item = DropClaim._meta, DropItem._meta, Item._meta
    written = [field.column for field in _claim_written_fields()]
    columns = ", ".join(f'"{column}"' for column in [column_of(DropClaim, "drop_item"), *written])
    values = ", ".join(["%s"] * len(written))
    key, first, settled = (
        drop_item.pk.column,
        column_of(DropItem, "first_claim_at"),
        column_of(DropItem, "settled_at"),
    )
    customer, written_at, sent = (
        column_of(DropClaim, name) for name in ("customer", "written_at_ms", "tiktok_message_id")
    )
    # COLLATE "C": Python's order of the ids (code points), whatever the database's collation.
    earlier = (
        f'(excluded."{written_at}" < c."{written_at}" '
        f'OR (excluded."{written_at}" = c."{written_at}" AND %s < c."{sent}" COLLATE "C"))'
    )
    replaced = [column_of(DropClaim, name) for name in ("message", "written_at_ms")]
    updates = ", ".join(
        f'"{column}" = CASE WHEN {earlier} THEN excluded."{column}" ELSE c."{column}" END' for column in replaced
    )
    returned = ", ".join(f'"{field.column}"' for field in claim.concrete_fields)
    # The drop item's own conditions again: PostgreSQL checks them again on the row it waited for (the settlement's).
    return (
        f'INSERT INTO "{claim.db_table}" AS c ({columns}) '
        f'SELECT d."{key}", {values} FROM "{drop_item.db_table}" d '
        f'JOIN "{item.db_table}" i ON i."{item.pk.column}" = d."{column_of(DropItem, "item")}" '
        f'WHERE d."{key}" = ({_drop_item_sql()}) AND d."{settled}" IS NULL AND d."{first}" IS NOT NULL '
        f"AND (%s OR {_free_sql('i')}) FOR SHARE OF d "
        f'ON CONFLICT ("{column_of(DropClaim, "drop_item")}", "{customer}") DO UPDATE SET {updates}, '
        f'"{sent}" = CASE WHEN {earlier} AND %s <> \'\' THEN excluded."{sent}" ELSE c."{sent}" END '
        f"RETURNING {returned}"
    )
