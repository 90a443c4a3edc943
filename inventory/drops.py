"""Drops: pieces that go on sale together at one announced time, the claims written once they drop, and
settling each piece on the earliest claim by TikTok's time."""

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.db.models.functions import Upper
from django.utils import timezone

from conversations.models import Customer, Message
from inventory.exceptions import HoldLimitReached, InvalidDrop, ItemNotDroppable, ItemNotFound
from inventory.holds import hold_hours, hold_locked_item
from inventory.jobs import enqueue_drop_settlement
from inventory.locks import lock_customer, lock_item_to_hold, lock_items, mark_first_claim, save_drop_claim
from inventory.models import Drop, DropClaim, DropItem, Item, WaitlistEntry
from inventory.selectors import drop_claims_in_order, forget_stock_facts, waitlist_line
from philia.db import column_of
from philia.errors import DomainError

logger = logging.getLogger(__name__)


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
    forget_stock_facts()  # update() sends no post_save: this process knows of the drop at once
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
            enqueue_drop_settlement(drop_item_id=first, delay_seconds=_settle_seconds_of(drop_item_id=first))
    logger.info("drop claim recorded", extra={"sku": item.sku, "customer": customer.pk, "at_ms": written_at_ms})
    return claim


def _settle_seconds_of(*, drop_item_id: int) -> float | None:
    """The drop's own settling window (a live stream's piece), or None for the shop's DROP_SETTLE_SECONDS."""
    return Drop.objects.filter(drop_items=drop_item_id).values_list("settle_seconds", flat=True).first()


def settling_deadline(
    *, drops_at: datetime, received: Iterable[datetime], settle_seconds: float | None = None
) -> datetime | None:
    """Claims count when the webhook received them at most `settle_seconds` (the drop's; DROP_SETTLE_SECONDS when
    None) after the first claim that came in after the drop time (or the first of all, if none did). None without
    claims."""
    received = sorted(received)
    if not received:
        return None
    after_drop = [moment for moment in received if moment >= drops_at]
    first = after_drop[0] if after_drop else received[0]
    window = settings.DROP_SETTLE_SECONDS if settle_seconds is None else settle_seconds
    return first + timedelta(seconds=window)


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
        counted, late, early = _claims_by_timing(claims, drop=drop_item.drop)
        winner, item = _first_claim_to_hold(counted, drop_item=drop_item, now=now)
        outcomes = _put_the_others_in_line(drop_item, winner=winner, counted=counted, late=late, early=early)
        _save_claim_outcomes([outcome.claim for outcome in outcomes])
        drop_item.settled_at = now
        drop_item.winner = winner.customer if winner else None
        drop_item.save(update_fields=["settled_at", "winner"])
    logger.info(
        "drop item settled",
        extra={"sku": drop_item.item.sku, "claims": len(claims), "winner": winner.customer_id if winner else None},
    )
    return DropSettlement(drop_item=drop_item, item=item, winner=winner.customer if winner else None, outcomes=outcomes)


def _claims_by_timing(
    claims: list[DropClaim], *, drop: Drop
) -> tuple[list[DropClaim], list[DropClaim], list[DropClaim]]:
    """The claims that count (written after the drop time, received within the settling window), the late
    ones and the ones written too early, each in the order given."""
    drops_at_ms = int(drop.drops_at.timestamp() * 1000)
    received = [(claim, _received_at(claim)) for claim in claims]
    deadline = settling_deadline(
        drops_at=drop.drops_at, received=[moment for _, moment in received], settle_seconds=drop.settle_seconds
    )
    if deadline is None:  # no claims
        return [], [], []
    counted = [c for c, moment in received if c.written_at_ms >= drops_at_ms and moment <= deadline]
    late = [c for c, moment in received if c.written_at_ms >= drops_at_ms and moment > deadline]
    early = [c for c in claims if c.written_at_ms < drops_at_ms]
    return counted, late, early


def _received_at(claim: DropClaim) -> datetime:
    if claim.received_at is None:
        raise ValueError(f"drop claim {claim.pk} has no received_at: settle_drop_item fills it in before timing it")
    return claim.received_at


def _first_claim_to_hold(
    counted: list[DropClaim], *, drop_item: DropItem, now: datetime
) -> tuple[DropClaim | None, Item]:
    """The first counted claim whose customer gets the hold, and the item as it is then."""
    item = drop_item.item
    for claim in counted:
        try:
            item = _hold_for_drop(item_id=drop_item.item_id, customer=claim.customer, drop=drop_item.drop, now=now)
        except HoldLimitReached:
            continue
        except DomainError:
            break  # the piece is no longer free: everyone waits
        return claim, item
    return None, item


def _put_the_others_in_line(
    drop_item: DropItem,
    *,
    winner: DropClaim | None,
    counted: list[DropClaim],
    late: list[DropClaim],
    early: list[DropClaim],
) -> list[ClaimOutcome]:
    """Mark each claim won or lost (late, early) and put every loser on the piece's waitlist; returns the
    outcomes with each loser's place in line."""
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
    return outcomes


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
    outcome, place, received = (column_of(DropClaim, name) for name in ("outcome", "waitlist_place", "received_at"))
    return (
        f'UPDATE "{meta.db_table}" AS c SET "{outcome}" = v.outcome, "{place}" = v.place, "{received}" = v.received '
        "FROM unnest(%s::bigint[], %s::text[], %s::integer[], %s::timestamptz[]) AS v(id, outcome, place, received) "
        f'WHERE c."{meta.pk.column}" = v.id'
    )


def _hold_for_drop(*, item_id: int, customer: Customer, drop: Drop, now: datetime) -> Item:
    """A drop's winner gets the hold: the usual hold rules, minus the drop's own "being settled" refusal, for the
    drop's hold length and hold limit (a live stream's piece has its own)."""
    with transaction.atomic():
        lock_customer(customer.pk)
        candidate = lock_item_to_hold(item_id=item_id, customer_id=customer.pk, now=now)
        if candidate is None:
            raise ItemNotFound(str(item_id))
        return hold_locked_item(
            candidate,
            customer=customer,
            hours=hold_hours(drop.hold_hours),
            now=now,
            limited=drop.counts_toward_hold_limit,
        )


def drop_now(
    *,
    item_id: int,
    name: str,
    settle_seconds: float | None = None,
    hold_hours: float | None = None,
    counts_toward_hold_limit: bool = True,
    now: datetime | None = None,
) -> DropItem:
    """Give one piece away at once in a drop of its own (a piece brought on screen in a live stream): from `now`
    a message that would hold it is a claim, settled on the earliest TikTok time with the rules given.

    Locks the item row. Raises `ItemNotFound`, or `ItemNotDroppable` (sold, hidden, held, in an upcoming drop, or
    claimed in a drop not settled yet) and then changes nothing. An earlier drop item of the piece that nobody
    claimed is closed (settled with no winner), so claims from now on go to this one.
    """
    now = now or timezone.now()
    with transaction.atomic():
        item = lock_items(ids=[item_id]).first()
        if item is None:
            raise ItemNotFound(str(item_id))
        _check_droppable(item=item, now=now)
        earlier = DropItem.objects.filter(item=item, settled_at__isnull=True)
        if earlier.filter(first_claim_at__isnull=False).exists():
            raise ItemNotDroppable(item.sku, "is being claimed in a drop")
        earlier.update(settled_at=now)
        drop = Drop.objects.create(
            name=name[: Drop._meta.get_field("name").max_length],
            drops_at=now,
            settle_seconds=settle_seconds,
            hold_hours=hold_hours,
            counts_toward_hold_limit=counts_toward_hold_limit,
        )
        drop_item = DropItem.objects.create(drop=drop, item=item)
        Item.objects.filter(pk=item.pk).update(
            drops_at=now, status=Item.Status.AVAILABLE, held_by=None, held_until=None, updated_at=now
        )
    forget_stock_facts()
    logger.info("piece dropped now", extra={"drop": drop.pk, "sku": item.sku})
    return drop_item
