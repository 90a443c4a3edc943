"""Running a live stream: line pieces up, start, bring pieces on screen one after another (Next), skip, end.

Every write locks the stream row first (`FOR NO KEY UPDATE`), so two Nexts on the same stream run one after the
other and never bring the same piece up twice or both close the same span. A piece brought on screen is given away
through the drop machinery (`inventory.services.drop_now`): its claims settle on the earliest TikTok time within
LIVE_SETTLE_SECONDS, the winner's hold does not count against MAX_HOLDS_PER_CUSTOMER and lasts until the stream
ends plus LIVE_PAY_HOURS.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.db.models.functions import Upper
from django.utils import timezone

from inventory import services as inventory_services
from inventory.exceptions import ItemNotDroppable, ItemNotFound
from inventory.models import DropItem, Item
from live.exceptions import (
    AnotherStreamLive,
    InvalidStream,
    NothingLeftToShow,
    PieceNotInStream,
    PieceNotShowable,
    StreamEnded,
    StreamNotFound,
    StreamNotLive,
)
from live.models import ScreenSpan, Stream, StreamItem
from philia import jobs
from philia.db import locking_transaction

logger = logging.getLogger(__name__)

TITLE_LENGTH = 200  # Stream.title's max_length


def to_milliseconds(moment: datetime) -> datetime:
    """`moment` cut to the millisecond, as TikTok's timestamps are: a DM written at the very millisecond a piece
    came on screen is for that piece."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def schedule_stream(*, title: str, skus: Iterable[str], at: datetime | None = None) -> Stream:
    """A new stream with these pieces lined up in the order given (lot 1, 2, …; a SKU given twice counts once),
    announced once committed (`live.announcements`, in a job) to the customers who asked to hear about lives.

    Raises `InvalidStream` (no title, no SKU, a time without its zone), `ItemNotFound`, or `PieceNotShowable`
    (sold or hidden), and then writes nothing. Held pieces may be lined up: still held at their turn, they are
    skipped.
    """
    title = title.strip()
    wanted = list(dict.fromkeys(sku.strip().upper() for sku in skus if sku.strip()))
    if not title:
        raise InvalidStream("A stream needs a title.")
    if len(title) > TITLE_LENGTH:
        raise InvalidStream(f"A stream's title is at most {TITLE_LENGTH} characters, not {len(title)}.")
    if not wanted:
        raise InvalidStream("A stream needs at least one SKU.")
    if at is not None and timezone.is_naive(at):
        raise InvalidStream("Give the stream's time with its time zone, e.g. 2026-12-24T19:00:00+00:00.")
    found = {item.sku.upper(): item for item in Item.objects.alias(sku_upper=Upper("sku")).filter(sku_upper__in=wanted)}
    for sku in wanted:
        item = found.get(sku)
        if item is None:
            raise ItemNotFound(sku)
        _check_showable(item)
    with transaction.atomic():
        stream = Stream.objects.create(title=title, scheduled_at=at or timezone.now())
        StreamItem.objects.bulk_create(
            StreamItem(stream=stream, item=found[sku], position=position) for position, sku in enumerate(wanted, 1)
        )
        jobs.enqueue_on_commit("announce_stream", stream.pk, unless_sent="the stream is not announced")
    logger.info("stream scheduled", extra={"stream": stream.pk, "skus": wanted})
    return stream


def line_up_piece(*, stream_id: int, sku: str) -> StreamItem:
    """Put a piece at the end of a scheduled or live stream's line-up (the next lot number).

    Locks the stream row. Raises `StreamNotFound`, `StreamEnded`, `ItemNotFound`, `PieceNotShowable` (sold or
    hidden) or `InvalidStream` (already lined up), and then writes nothing."""
    with transaction.atomic():
        stream = _lock_stream(stream_id)
        if stream.status == Stream.Status.ENDED:
            raise StreamEnded(stream.pk)
        item = _item_with_sku(sku)
        _check_showable(item)
        already = StreamItem.objects.filter(stream=stream, item=item).first()
        if already is not None:
            raise InvalidStream(f"{item.sku} is already lot {already.position} of this stream.")
        piece = _append(stream, item)
    logger.info("piece lined up", extra={"stream": stream.pk, "sku": item.sku, "lot": piece.position})
    return piece


def _lock_stream(stream_id: int) -> Stream:
    stream = Stream.objects.select_for_update(no_key=True).filter(pk=stream_id).first()
    if stream is None:
        raise StreamNotFound(stream_id)
    return stream


def start_stream(*, stream_id: int, now: datetime | None = None) -> Stream:
    """Scheduled → live. Starting a live stream again changes nothing. Locks the stream row; raises
    `StreamNotFound`, `StreamEnded`, or `AnotherStreamLive` (the partial unique index backs the check up when two
    streams start at the same moment)."""
    now = now or timezone.now()
    with locking_transaction():
        stream = _lock_stream(stream_id)
        if stream.status == Stream.Status.ENDED:
            raise StreamEnded(stream.pk)
        if stream.status == Stream.Status.LIVE:
            return stream
        other = Stream.objects.filter(status=Stream.Status.LIVE).exclude(pk=stream.pk).first()
        if other is not None:
            raise AnotherStreamLive(other.pk)
        stream.status, stream.started_at = Stream.Status.LIVE, now
        try:
            with transaction.atomic():
                stream.save(update_fields=["status", "started_at"])
        except IntegrityError as error:
            other = Stream.objects.filter(status=Stream.Status.LIVE).exclude(pk=stream.pk).first()
            raise AnotherStreamLive(other.pk if other else 0) from error
    logger.info("stream started", extra={"stream": stream.pk})
    return stream


@dataclass(frozen=True)
class NextPiece:
    """What Next did: the piece now on screen, its span, and the lined-up pieces skipped on the way."""

    stream: Stream
    piece: StreamItem
    span: ScreenSpan
    skipped: list[StreamItem] = field(default_factory=list)


def next_piece(*, stream_id: int, sku: str | None = None, now: datetime | None = None) -> NextPiece:
    """Bring the next lined-up piece (or the piece with `sku`, lined up at the end if it was not) on screen, and
    take the one on screen off. A lined-up piece that cannot be given away now (sold, held by someone, hidden) is
    skipped with its reason and the next one tried.

    Locks the stream row, then each piece's item (`drop_now`). Raises `StreamNotFound`, `StreamNotLive`,
    `StreamEnded`, `ItemNotFound`, `PieceNotShowable` (the named piece cannot be given away), or
    `NothingLeftToShow`; then nothing changes and the piece on screen stays.
    """
    with locking_transaction():
        stream = _lock_stream(stream_id)
        _check_live(stream)
        now = _take_off_screen(stream, now=now)
        if sku is not None:
            piece = _named_piece(stream, sku)
            drop_item = _drop(stream, piece, now=now)
            skipped: list[StreamItem] = []
        else:
            piece, drop_item, skipped = _next_lined_up(stream, now=now)
        piece.state, piece.skip_reason = StreamItem.State.SHOWN, ""
        piece.save(update_fields=["state", "skip_reason"])
        span = ScreenSpan.objects.create(
            stream=stream, stream_item=piece, item=piece.item, shown_from=now, drop_item=drop_item
        )
    logger.info("piece on screen", extra={"stream": stream.pk, "sku": piece.item.sku, "lot": piece.position})
    return NextPiece(stream=stream, piece=piece, span=span, skipped=skipped)


def _take_off_screen(stream: Stream, *, now: datetime | None) -> datetime:
    """Close the span on screen of a locked stream; returns the moment it closed, to the millisecond. Read once the
    stream is locked (a Next that waited for another's lock comes after it), and never before the span began."""
    now = to_milliseconds(now or timezone.now())
    span = ScreenSpan.objects.filter(stream=stream, shown_until__isnull=True).first()
    if span is not None:
        now = max(now, span.shown_from)
        span.shown_until = now
        span.save(update_fields=["shown_until"])
    return now


def _check_live(stream: Stream) -> None:
    if stream.status == Stream.Status.ENDED:
        raise StreamEnded(stream.pk)
    if stream.status != Stream.Status.LIVE:
        raise StreamNotLive(stream.pk)


def _named_piece(stream: Stream, sku: str) -> StreamItem:
    """The stream's piece with `sku`, lined up at the end when it was not in the line-up."""
    piece = StreamItem.objects.select_related("item").filter(stream=stream, item__sku__iexact=sku.strip()).first()
    if piece is not None:
        return piece
    return _append(stream, _item_with_sku(sku))


def _append(stream: Stream, item: Item) -> StreamItem:
    """`item` lined up as the stream's next lot (the caller holds the stream's row lock)."""
    last = StreamItem.objects.filter(stream=stream).aggregate(last=Max("position"))["last"] or 0
    return StreamItem.objects.create(stream=stream, item=item, position=last + 1)


def _item_with_sku(sku: str) -> Item:
    item = Item.objects.filter(sku__iexact=sku.strip()).first()
    if item is None:
        raise ItemNotFound(sku.strip().upper())
    return item


def _check_showable(item: Item) -> None:
    if item.status in (Item.Status.SOLD, Item.Status.HIDDEN):
        raise PieceNotShowable(item.sku, f"is {item.status}")


def _drop(stream: Stream, piece: StreamItem, *, now: datetime) -> DropItem:
    """Give the piece away from `now` as a drop of its own, by the live stream's rules."""
    try:
        return inventory_services.drop_now(
            item_id=piece.item_id,
            name=f"{stream.title} · lot {piece.position}",
            settle_seconds=settings.LIVE_SETTLE_SECONDS,
            hold_hours=settings.LIVE_PAY_HOURS,
            counts_toward_hold_limit=False,
            now=now,
        )
    except ItemNotDroppable as error:
        raise PieceNotShowable(piece.item.sku, error.reason) from error


def _next_lined_up(stream: Stream, *, now: datetime) -> tuple[StreamItem, DropItem, list[StreamItem]]:
    """The first lined-up piece that can be given away, its drop item, and those skipped before it."""
    skipped: list[StreamItem] = []
    lined_up = StreamItem.objects.select_related("item").filter(stream=stream, state=StreamItem.State.LINED_UP)
    for piece in lined_up.order_by("position"):
        try:
            return piece, _drop(stream, piece, now=now), skipped
        except PieceNotShowable as error:
            piece.state, piece.skip_reason = StreamItem.State.SKIPPED, error.reason
            piece.save(update_fields=["state", "skip_reason"])
            skipped.append(piece)
    raise NothingLeftToShow(stream.pk, [f"{piece.item.sku} {piece.skip_reason}" for piece in skipped])


def skip_piece(*, stream_id: int, sku: str, reason: str = "skipped by the owner") -> StreamItem:
    """Take a lined-up piece out of the line-up (Next passes it by). Locks the stream row; raises
    `StreamNotFound`, `StreamEnded`, or `PieceNotInStream` (not lined up: unknown, or shown or skipped already)."""
    with locking_transaction():
        stream = _lock_stream(stream_id)
        if stream.status == Stream.Status.ENDED:
            raise StreamEnded(stream.pk)
        piece = (
            StreamItem.objects.select_related("item")
            .filter(stream=stream, item__sku__iexact=sku.strip(), state=StreamItem.State.LINED_UP)
            .first()
        )
        if piece is None:
            raise PieceNotInStream(stream.pk, sku.strip().upper())
        piece.state, piece.skip_reason = StreamItem.State.SKIPPED, reason.strip()[:200] or "skipped by the owner"
        piece.save(update_fields=["state", "skip_reason"])
    logger.info("piece skipped", extra={"stream": stream.pk, "sku": piece.item.sku})
    return piece


def end_stream(*, stream_id: int, now: datetime | None = None) -> Stream:
    """Live (or scheduled: called off) → ended; the piece on screen leaves it. Every piece won in the stream stays
    held until now plus LIVE_PAY_HOURS. Locks the stream row, then the pieces won; raises `StreamNotFound` or
    `StreamEnded`. Claims written while a piece was on screen and settled later get the same hold when settled.
    Once committed, a worker sends each winner their one invoice (`live.invoices`)."""
    with locking_transaction():
        stream = _lock_stream(stream_id)
        if stream.status == Stream.Status.ENDED:
            raise StreamEnded(stream.pk)
        now = _take_off_screen(stream, now=now)
        stream.status, stream.ended_at = Stream.Status.ENDED, now
        stream.save(update_fields=["status", "ended_at"])
        won = DropItem.objects.filter(screen_span__stream=stream, winner__isnull=False).values_list("item", flat=True)
        inventory_services.hold_at_least_until(
            item_ids=list(won), until=now + timedelta(hours=settings.LIVE_PAY_HOURS), now=now
        )
        jobs.enqueue_on_commit("send_stream_invoices", stream.pk, unless_sent="the invoice sweep sends the invoices")
    logger.info("stream ended", extra={"stream": stream.pk})
    return stream


def clear_streams() -> dict[str, int]:
    """Delete every stream, its line-up and spans (`seed --clear`, before the stock); returns how many."""
    with transaction.atomic():
        _, deleted = Stream.objects.all().delete()
    return {"streams": deleted.get(Stream._meta.label, 0)}
