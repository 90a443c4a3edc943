"""Reads of the stock."""

import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar, cast

from django.conf import settings
from django.db import connection
from django.db.models import Max, Prefetch, Q, QuerySet
from django.db.models.functions import Upper
from django.utils import timezone

from conversations.models import Customer
from inventory.exceptions import ItemNotFound
from inventory.item_query import ItemQuery
from inventory.locks import live_drop_pieces
from inventory.models import DropClaim, DropItem, Item, ItemPhoto, WaitlistEntry
from inventory.search import search_items
from inventory.vocabulary import canonical_size
from philia.db import STAND_IN_TIME, CompiledQuery

T = TypeVar("T")

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


def get_item(sku: str) -> Item:
    item = Item.objects.filter(sku__iexact=sku.strip()).select_related("held_by").first()
    if item is None:
        raise ItemNotFound(sku)
    return item


def visible_items_with_skus(skus: Iterable[str]) -> QuerySet[Item]:
    """Items that are not hidden whose SKU is one of `skus`, in any case (the upper(sku) unique index answers it)."""
    return (
        Item.objects.alias(sku_upper=Upper("sku"))
        .filter(sku_upper__in=[sku.upper() for sku in skus])
        .exclude(status=Item.Status.HIDDEN)
    )


# Most turns read a few SKUs' pieces: the query for up to this many is compiled once per number of them.
COMPILED_SKUS = 8
_VISIBLE_WITH_SKUS: dict[int, CompiledQuery[Item]] = {}


def visible_items(skus: Sequence[str]) -> list[Item]:
    """`visible_items_with_skus` read at once (each SKU once, in no particular order): a turn's query, compiled
    once per number of SKUs up to COMPILED_SKUS."""
    wanted = list(dict.fromkeys(sku.upper() for sku in skus))
    if not wanted:
        return []
    if len(wanted) > COMPILED_SKUS:
        return list(visible_items_with_skus(wanted))
    query = _VISIBLE_WITH_SKUS.get(len(wanted))
    if query is None:
        stand_ins = {f"sku{number}": f"\x00SKU{number}" for number in range(len(wanted))}  # as upper() leaves them
        query = _VISIBLE_WITH_SKUS[len(wanted)] = CompiledQuery(
            lambda **skus: visible_items_with_skus(skus.values()), **stand_ins
        )
    return query.run(**{f"sku{number}": sku for number, sku in enumerate(wanted)})


# Facts about the whole stock that every offline turn reads and that change seldom: each process keeps them a while
# (the brands BRANDS_KEPT_SECONDS, when the last piece still to drop drops DROPS_KEPT_SECONDS), and reads them again
# at once when it saves or deletes an item, adds items or schedules a drop itself (`forget_stock_facts`).
BRANDS_KEPT_SECONDS = 60.0
DROPS_KEPT_SECONDS = 10.0
_kept: dict[str, tuple[float, Any]] = {}  # name -> (kept until, by time.monotonic(); the fact)


def _kept_a_while(name: str, seconds: float, read: Callable[[], T]) -> T:
    kept = _kept.get(name)
    if kept is not None and kept[0] > time.monotonic():
        return cast(T, kept[1])
    fact = read()
    _kept[name] = (time.monotonic() + seconds, fact)
    return fact


def forget_stock_facts(**_: object) -> None:
    """The next `known_brands` and `has_pieces_to_drop` read the stock again (connected to an item's saves and
    deletes in `InventoryConfig.ready`; called where items change in bulk)."""
    _kept.clear()


def known_brands() -> list[str]:
    """Every brand in the stock (kept a while: a brand first put on sale by another process is known within
    BRANDS_KEPT_SECONDS)."""
    return _kept_a_while("brands", BRANDS_KEPT_SECONDS, _read_brands)


def has_pieces_to_drop(*, now: datetime | None = None) -> bool:
    """Whether any piece waits in a drop still to come (kept a while: a drop another process schedules is known
    within DROPS_KEPT_SECONDS), so a search for pieces to drop is skipped in a shop with none."""
    last = _kept_a_while("last drop to come", DROPS_KEPT_SECONDS, _last_drop_to_come)
    return last is not None and last > (now or timezone.now())


def _last_drop_to_come() -> datetime | None:
    upcoming = Item.objects.not_yet_dropped().exclude(status__in=[Item.Status.HIDDEN, Item.Status.SOLD])
    return upcoming.aggregate(last=Max("drops_at"))["last"]


def _read_brands() -> list[str]:
    """By a loose index scan over the brand index: one probe per brand, well under a millisecond with 50,000
    items."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH RECURSIVE brands(brand) AS (
                (SELECT brand FROM inventory_item WHERE brand > '' ORDER BY brand LIMIT 1)
                UNION ALL
                SELECT (SELECT i.brand FROM inventory_item i WHERE i.brand > b.brand ORDER BY i.brand LIMIT 1)
                FROM brands b WHERE b.brand IS NOT NULL
            )
            SELECT brand FROM brands WHERE brand IS NOT NULL
            """
        )
        return [row[0] for row in cursor.fetchall()]


def current_holds(*, customer: Customer, now: datetime | None = None) -> QuerySet[Item]:
    return _held_by(customer_id=customer.pk, now=now)


def holds_of(*, customer_id: str, now: datetime) -> list[Item]:
    """`current_holds` read at once, for a turn: compiled once."""
    return _HOLDS.run(customer_id=customer_id, now=now)


def _held_by(*, customer_id: str, now: datetime | None) -> QuerySet[Item]:
    return Item.objects.held(now=now).filter(held_by_id=customer_id).order_by("held_until", "pk")


_HOLDS = CompiledQuery(_held_by, customer_id="\x00customer", now=STAND_IN_TIME)


def search_available_items(
    query: str, *, size: str | None = None, max_price: Decimal | None = None, limit: int = 5
) -> list[Item]:
    """Items on sale (a run-out hold counts as on sale) whose name, brand, description or SKU contain every
    word of `query`, case-insensitive; `size` matches the label and its synonyms (L = Large). An exact SKU
    first, then by where the words are (name, brand, description), newest first on ties; `limit` at most 50.

    The ranked search (`inventory.search`) with plain words: no reading of natural language.
    """
    words = tuple(query.split())
    item_query = ItemQuery(
        words=words,
        sku=words[0] if len(words) == 1 else "",
        sizes=(canonical_size(size),) if size and size.strip() else (),
        max_price=max_price,
    )
    return search_items(item_query, limit=limit, every_word=True)


class PhotosInOrder(TypedDict):
    """An item read with its photos in order (the first is its main one)."""

    ordered_photos: list[ItemPhoto]


def public_item(sku: str) -> "WithAnnotations[Item, PhotosInOrder]":
    """The item a public page shows: any SKU case, never a hidden one (`ItemNotFound` for both), photos in order."""
    item = (
        Item.objects.filter(sku__iexact=sku.strip())
        .exclude(status=Item.Status.HIDDEN)
        .prefetch_related(Prefetch("photos", ItemPhoto.objects.order_by("position", "pk"), to_attr="ordered_photos"))
        .first()
    )
    if item is None:
        raise ItemNotFound(sku)
    return item


def items_on_sale(*, limit: int = 60, now: datetime | None = None) -> list[Item]:
    """The newest items a customer could hold now, with their main photo first in `ordered_photos`."""
    return list(
        Item.objects.free(now=now)
        .order_by("-created_at", "-pk")
        .prefetch_related(Prefetch("photos", ItemPhoto.objects.order_by("position", "pk"), to_attr="ordered_photos"))[
            :limit
        ]
    )


def public_availability(item: Item, *, now: datetime | None = None) -> str:
    """What a stranger may know about an item's state: "available", "on hold", "sold" (never who holds it), or
    "drops Thu 24 Dec, 19:00 UTC" (the shop's time zone) for a piece in a drop still to come."""
    now = now or timezone.now()
    if item.drops_at is not None and item.drops_at > now and item.status != Item.Status.SOLD:
        local = timezone.localtime(item.drops_at)
        return f"drops {local:%a %d %b, %H:%M} {local.tzname()}"
    if item.status == Item.Status.SOLD:
        return "sold"
    if item.is_held(now=now):
        return "on hold"
    return "available"


# --- Waitlists ------------------------------------------------------------------------------------


def waitlisted_items_free_now(*, customer: Customer, now: datetime | None = None) -> list[int]:
    """Ids of the pieces this customer waits for that are free now (one query; a waitlist turn then decides). A turn
    that read the history learnt this with it (`assistant.memory.recent_messages`) and does not ask again."""
    rows = _WAITING_FOR_FREE_PIECES.run(customer_id=customer.pk, now=now or timezone.now())
    return [entry.item_id for entry in rows]


def waiting_for_free_pieces(*, customer_id: str, now: datetime) -> QuerySet[WaitlistEntry]:
    """The customer's waitlist entries for pieces free now (`waitlisted_items_free_now`), as a query: another read
    of a turn may take it in as a subquery (`Exists`), so the turn asks once."""
    return WaitlistEntry.objects.filter(customer_id=customer_id, item__in=Item.objects.free(now=now))


_WAITING_FOR_FREE_PIECES = CompiledQuery(
    lambda customer_id, now: (
        waiting_for_free_pieces(customer_id=customer_id, now=now).order_by("queued_at").only("item_id")
    ),
    customer_id="\x00customer",
    now=STAND_IN_TIME,
)


def waitlist_line(*, item_id: int) -> QuerySet[WaitlistEntry]:
    """Who waits for this piece, first in line first."""
    return WaitlistEntry.objects.filter(item_id=item_id).select_related("customer").order_by("queued_at", "id")


def waitlist_place(*, entry: WaitlistEntry) -> int:
    """1 for the first in line."""
    ahead = WaitlistEntry.objects.filter(item_id=entry.item_id).filter(
        Q(queued_at__lt=entry.queued_at) | Q(queued_at=entry.queued_at, id__lt=entry.id)
    )
    return ahead.count() + 1


def waitlist_places(*, customer: Customer) -> list[tuple[Item, int]]:
    """The pieces this customer waits for and their place in each line, oldest wait first."""
    entries = WaitlistEntry.objects.filter(customer=customer).select_related("item").order_by("queued_at", "id")
    return [(entry.item, waitlist_place(entry=entry)) for entry in entries]


# --- Drops ----------------------------------------------------------------------------------------


def unsettled_drop_items(*, now: datetime | None = None, claimed: bool = False) -> QuerySet[DropItem]:
    """Drop items being given away now: the drop time has passed and their claims are not settled yet (with
    `claimed`, only once somebody has claimed them)."""
    drop_items = DropItem.objects.filter(settled_at__isnull=True, drop__drops_at__lte=now or timezone.now())
    if claimed:
        drop_items = drop_items.filter(first_claim_at__isnull=False)
    return drop_items


def unsettled_drops_of(*, item: Item, now: datetime | None = None, claimed: bool = False) -> QuerySet[DropItem]:
    """This item's drop items being given away now (see `unsettled_drop_items`), earliest drop first."""
    drop_items = unsettled_drop_items(now=now, claimed=claimed).filter(item=item)
    return drop_items.select_related("drop").order_by("drop__drops_at", "pk")


def unsettled_drop_item(*, item: Item, now: datetime | None = None, claimed: bool = False) -> DropItem | None:
    """The drop this item is being given away in now (see `unsettled_drop_items`)."""
    return unsettled_drops_of(item=item, now=now, claimed=claimed).first()


def live_drop_items(*, now: datetime | None = None, limit: int = 20) -> list[Item]:
    """The pieces being given away in a drop right now, in drop-time then SKU order: the drop time has passed,
    they are not settled and still free, and somebody has claimed them or the drop time was at most
    DROP_CLAIM_MINUTES ago. A message that only names one of them ("the varsity jacket!!") claims it."""
    now = now or timezone.now()
    recent_since = now - timedelta(minutes=settings.DROP_CLAIM_MINUTES)
    return live_drop_pieces(now=now, recent_since=recent_since, limit=limit)


def drop_claims_in_order(*, drop_item_id: int) -> QuerySet[DropClaim]:
    """A drop item's claims by TikTok time, ties by TikTok message id."""
    return (
        DropClaim.objects.filter(drop_item_id=drop_item_id)
        .select_related("customer", "message")
        .order_by("written_at_ms", "tiktok_message_id", "pk")
    )


def drop_items_unsettled() -> QuerySet[DropItem]:
    """Drop items that somebody has claimed and that have not been settled yet."""
    return DropItem.objects.filter(settled_at__isnull=True, first_claim_at__isnull=False)


def drop_items_waiting_to_settle(*, now: datetime | None = None) -> QuerySet[DropItem]:
    """Claimed drop items still unsettled well after their settling window (their job was lost)."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.DROP_SETTLE_SECONDS + 30)
    return drop_items_unsettled().filter(first_claim_at__lte=cutoff).order_by("pk")


def main_photo(*, item: Item) -> ItemPhoto | None:
    """The item's first photo (lowest position), the one sent when a customer asks for pictures."""
    return ItemPhoto.objects.filter(item=item).order_by("position", "pk").first()
