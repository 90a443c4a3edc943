"""Reading live streams: the stream live now, which piece was on screen at a given moment, and a stream's figures."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from django.db.models import Aggregate, Count, DurationField, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Replace

from conversations.models import Message
from inventory.models import DropClaim, DropItem, Item
from live.models import ScreenSpan, Stream, StreamItem
from orders.models import Order, OrderItem
from philia.db import CompiledQuery


def live_stream() -> Stream | None:
    """The stream live now, if any (at most one: a database constraint). Read by every turn that may be a claim:
    compiled once."""
    found = _LIVE_STREAM.run()
    return found[0] if found else None


_LIVE_STREAM = CompiledQuery(lambda: Stream.objects.filter(status=Stream.Status.LIVE).order_by("pk")[:1])


def span_at(*, stream_id: int, at: datetime) -> ScreenSpan | None:
    """The span of the stream on screen at `at` (shown_from <= at < shown_until, or still open), with its piece
    and line-up entry; None before the first piece or between pieces. One index lookup (`screen_span_at_time`)."""
    span = (
        ScreenSpan.objects.select_related("item", "stream_item")
        .filter(stream_id=stream_id, shown_from__lte=at)
        .order_by("-shown_from", "-pk")  # a piece taken off the very millisecond it came on: the later
        .first()
    )
    if span is None or (span.shown_until is not None and span.shown_until <= at):
        return None
    return span


def span_at_ms(*, stream_id: int, at_ms: int) -> ScreenSpan | None:
    """`span_at` for a TikTok timestamp in milliseconds (content.timestamp)."""
    return span_at(stream_id=stream_id, at=datetime.fromtimestamp(at_ms / 1000, tz=UTC))


def on_screen(*, stream_id: int) -> ScreenSpan | None:
    """The span open now, with its piece."""
    return (
        ScreenSpan.objects.select_related("item", "stream_item")
        .filter(stream_id=stream_id, shown_until__isnull=True)
        .first()
    )


def lot(*, stream_id: int, position: int) -> StreamItem | None:
    """The stream's piece with this lot number, with its item."""
    return StreamItem.objects.select_related("item").filter(stream_id=stream_id, position=position).first()


def piece_with_sku(*, stream_id: int, sku: str) -> StreamItem | None:
    """The stream's piece with this SKU (any case), with its item."""
    return StreamItem.objects.select_related("item").filter(stream_id=stream_id, item__sku__iexact=sku.strip()).first()


def line_up(*, stream_id: int) -> list[StreamItem]:
    return list(StreamItem.objects.select_related("item").filter(stream_id=stream_id).order_by("position"))


# How many pieces a search for the line-up offers (a phone screen's worth).
LINE_UP_CHOICES = 8


def pieces_to_line_up(*, stream_id: int, text: str) -> list[Item]:
    """The pieces the owner may mean by `text` to line up: the one with that SKU, else those whose name or brand
    has every word; neither sold nor hidden, not in the stream yet; newest first, at most `LINE_UP_CHOICES`."""
    words = text.split()[:6]
    if not words:
        return []
    pieces = Item.objects.exclude(status__in=[Item.Status.SOLD, Item.Status.HIDDEN]).exclude(
        stream_entries__stream_id=stream_id
    )
    exact = list(pieces.filter(sku__iexact=text.strip())[:1])
    if exact:
        return exact
    # Apostrophes left out on both sides: "levis" finds "Levi's".
    pieces = pieces.alias(
        bare_name=Replace("name", Value("'"), Value("")), bare_brand=Replace("brand", Value("'"), Value(""))
    )
    for word in (word.replace("'", "") for word in words):
        pieces = pieces.filter(Q(bare_name__icontains=word) | Q(bare_brand__icontains=word) | Q(sku__icontains=word))
    return list(pieces.order_by("-created_at", "-pk")[:LINE_UP_CHOICES])


@cache
def kept_for_streams() -> QuerySet[StreamItem, Any]:
    """The ids of the pieces lined up in a stream scheduled or live, still to come on screen, as a subquery: they
    are about to be sold on screen, so the shop proposes none of them in place of another
    (`propositions.selectors.similar_pieces`). The same subquery on every call (it takes no value that changes):
    the candidates' statement it is part of is compiled once per process. To embed, never to evaluate."""
    return StreamItem.objects.filter(
        state=StreamItem.State.LINED_UP, stream__status__in=[Stream.Status.SCHEDULED, Stream.Status.LIVE]
    ).values("item_id")


def is_live_piece(*, drop_item_id: int) -> bool:
    """Is this drop item a piece shown in a live stream (its claims are answered in the live's words)?"""
    return ScreenSpan.objects.filter(drop_item_id=drop_item_id).exists()


class Median(Aggregate):
    """PostgreSQL's continuous median of a duration (nulls left out)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


@dataclass(frozen=True)
class StreamFigures:
    """How a stream sold. Pieces are counted once however often they came on screen; `paid` pieces are those won
    and in a paid (or shipped) order of their winner, `revenue` those pieces' prices (shipping left out);
    `claim_to_paid` is paid ÷ claimed pieces; `median_answer` runs from the webhook receiving a claim to TikTok
    taking the reply that told its writer (won, or their place in line), over the claims answered so far."""

    shown: int
    claimed: int
    won: int
    paid: int
    revenue: Decimal
    claimants: int
    median_answer: timedelta | None

    @property
    def claim_to_paid(self) -> float | None:
        return self.paid / self.claimed if self.claimed else None

    @property
    def median_answer_seconds(self) -> float | None:
        return self.median_answer.total_seconds() if self.median_answer is not None else None


def stream_figures(*, stream_id: int) -> StreamFigures:
    """The stream's figures in three queries: its pieces on screen, its claims, its pieces paid for."""
    pieces = ScreenSpan.objects.filter(stream_id=stream_id).aggregate(
        shown=Count("item", distinct=True),
        claimed=Count("item", distinct=True, filter=Q(drop_item__claims__isnull=False)),
        won=Count("item", distinct=True, filter=Q(drop_item__winner__isnull=False)),
    )
    answer = Message.objects.filter(
        in_reply_to=OuterRef("message"), direction=Message.Direction.OUTBOUND, image_name="", sent_at__isnull=False
    ).order_by("sent_at")
    claims = (
        DropClaim.objects.filter(drop_item__screen_span__stream_id=stream_id)
        .annotate(answered_at=Subquery(answer.values("sent_at")[:1]))
        .aggregate(claimants=Count("customer", distinct=True), median=Median(F("answered_at") - F("received_at")))
    )
    won_by_buyer = DropItem.objects.filter(
        screen_span__stream_id=stream_id, item=OuterRef("item"), winner=OuterRef("order__customer")
    )
    paid = OrderItem.objects.filter(
        Exists(won_by_buyer), is_active=True, order__status__in=[Order.Status.PAID, Order.Status.SHIPPED]
    ).aggregate(pieces=Count("item", distinct=True), revenue=Sum("price"))
    return StreamFigures(
        shown=pieces["shown"],
        claimed=pieces["claimed"],
        won=pieces["won"],
        paid=paid["pieces"],
        revenue=paid["revenue"] or Decimal("0.00"),
        claimants=claims["claimants"],
        median_answer=claims["median"],
    )


def latest_stream() -> Stream | None:
    """The stream live now, else the one that started last (Today shows its figures)."""
    return live_stream() or Stream.objects.filter(started_at__isnull=False).order_by("-started_at", "-pk").first()
