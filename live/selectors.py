"""Reading live streams: the stream live now, and which piece was on screen at a given moment."""

from datetime import UTC, datetime

from live.models import ScreenSpan, Stream, StreamItem


def live_stream() -> Stream | None:
    """The stream live now, if any (at most one: a database constraint)."""
    return Stream.objects.filter(status=Stream.Status.LIVE).first()


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


def is_live_piece(*, drop_item_id: int) -> bool:
    """Is this drop item a piece shown in a live stream (its claims are answered in the live's words)?"""
    return ScreenSpan.objects.filter(drop_item_id=drop_item_id).exists()
