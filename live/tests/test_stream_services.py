"""Scheduling, starting, Next, skip and end: the services the admin page and `manage.py live` call."""

from datetime import timedelta

import pytest
from django.utils import timezone

from inventory.exceptions import ItemNotFound
from inventory.models import DropItem, Item
from live import services
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
from live.selectors import span_at
from philia.tests.factories import make_customer, make_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def pieces() -> list[Item]:
    return [make_item(f"VNT-LIVE-00{n}", name=f"Piece {n}", price=f"{10 * n}.00") for n in (1, 2, 3)]


def _live(skus: list[str]) -> Stream:
    stream = services.schedule_stream(title="Friday live", skus=skus)
    return services.start_stream(stream_id=stream.pk)


def test_a_stream_is_scheduled_with_its_pieces_lined_up_in_order(pieces):
    stream = services.schedule_stream(title=" Friday live ", skus=["vnt-live-002", "VNT-LIVE-001", "VNT-LIVE-002"])

    assert (stream.title, stream.status) == ("Friday live", "scheduled")
    assert list(stream.pieces.order_by("position").values_list("position", "item__sku", "state")) == [
        (1, "VNT-LIVE-002", "lined_up"),
        (2, "VNT-LIVE-001", "lined_up"),
    ]


@pytest.mark.parametrize(
    ("title", "skus", "error"),
    [
        ("", ["VNT-LIVE-001"], InvalidStream),
        ("Live", [], InvalidStream),
        ("Live", ["  "], InvalidStream),
        ("x" * 201, ["VNT-LIVE-001"], InvalidStream),
        ("Live", ["VNT-LIVE-001", "NOPE-404"], ItemNotFound),
    ],
)
def test_a_stream_that_cannot_be_scheduled_is_refused_and_nothing_is_written(pieces, title, skus, error):
    with pytest.raises(error):
        services.schedule_stream(title=title, skus=skus)

    assert Stream.objects.count() == 0


def test_a_stream_at_a_time_without_its_zone_is_refused(pieces):
    with pytest.raises(InvalidStream, match="time zone"):
        services.schedule_stream(title="Live", skus=["VNT-LIVE-001"], at=timezone.now().replace(tzinfo=None))


def test_a_sold_piece_cannot_be_lined_up(pieces):
    Item.objects.filter(sku="VNT-LIVE-002").update(status="sold")

    with pytest.raises(PieceNotShowable, match="VNT-LIVE-002 cannot go on screen: it is sold."):
        services.schedule_stream(title="Live", skus=["VNT-LIVE-001", "VNT-LIVE-002"])


def test_starting_makes_the_stream_live_and_again_changes_nothing(pieces):
    stream = _live(["VNT-LIVE-001"])
    started_at = stream.started_at

    again = services.start_stream(stream_id=stream.pk)

    assert (again.status, again.started_at) == ("live", started_at)


def test_a_second_stream_cannot_go_live_while_one_is(pieces):
    first = _live(["VNT-LIVE-001"])
    second = services.schedule_stream(title="Other", skus=["VNT-LIVE-002"])

    with pytest.raises(AnotherStreamLive, match=f"Stream {first.pk} is live: end it before starting another."):
        services.start_stream(stream_id=second.pk)

    assert Stream.objects.get(pk=second.pk).status == "scheduled"


def test_an_unknown_stream_is_refused_everywhere():
    for call in (services.start_stream, services.next_piece, services.end_stream):
        with pytest.raises(StreamNotFound, match="No stream with id 999."):
            call(stream_id=999)


def test_next_brings_the_lined_up_pieces_on_screen_one_after_another(pieces):
    stream = _live(["VNT-LIVE-001", "VNT-LIVE-002"])
    start = timezone.now()

    first = services.next_piece(stream_id=stream.pk, now=start)
    second = services.next_piece(stream_id=stream.pk, now=start + timedelta(seconds=30))

    assert (first.piece.item.sku, second.piece.item.sku) == ("VNT-LIVE-001", "VNT-LIVE-002")
    spans = list(ScreenSpan.objects.filter(stream=stream).order_by("shown_from"))
    assert [span.item.sku for span in spans] == ["VNT-LIVE-001", "VNT-LIVE-002"]
    assert spans[0].shown_until == spans[1].shown_from
    assert spans[1].shown_until is None
    assert span_at(stream_id=stream.pk, at=spans[0].shown_from + timedelta(seconds=29)).item.sku == "VNT-LIVE-001"
    assert span_at(stream_id=stream.pk, at=spans[1].shown_from).item.sku == "VNT-LIVE-002"
    assert span_at(stream_id=stream.pk, at=spans[0].shown_from - timedelta(milliseconds=1)) is None


def test_a_piece_on_screen_is_given_away_as_a_drop_by_the_live_rules(pieces, settings):
    settings.LIVE_SETTLE_SECONDS, settings.LIVE_PAY_HOURS = 1.5, 30
    stream = _live(["VNT-LIVE-001"])

    shown = services.next_piece(stream_id=stream.pk)

    drop_item = DropItem.objects.select_related("drop", "item").get(pk=shown.span.drop_item_id)
    assert drop_item.item.sku == "VNT-LIVE-001"
    assert drop_item.drop.drops_at == shown.span.shown_from == drop_item.item.drops_at
    assert (drop_item.drop.settle_seconds, drop_item.drop.hold_hours) == (1.5, 30)
    assert drop_item.drop.counts_toward_hold_limit is False
    assert shown.span.shown_from.microsecond % 1000 == 0


def test_a_lined_up_piece_sold_or_held_meanwhile_is_skipped_and_said(pieces):
    stream = _live(["VNT-LIVE-001", "VNT-LIVE-002", "VNT-LIVE-003"])
    Item.objects.filter(sku="VNT-LIVE-001").update(status="sold")
    Item.objects.filter(sku="VNT-LIVE-002").update(
        status="reserved", held_by=make_customer("ben"), held_until=timezone.now() + timedelta(hours=1)
    )

    shown = services.next_piece(stream_id=stream.pk)

    assert shown.piece.item.sku == "VNT-LIVE-003"
    assert [(piece.item.sku, piece.skip_reason) for piece in shown.skipped] == [
        ("VNT-LIVE-001", "is sold"),
        ("VNT-LIVE-002", "is held"),
    ]
    assert list(StreamItem.objects.filter(stream=stream).values_list("state", flat=True)) == [
        "skipped",
        "skipped",
        "shown",
    ]


def test_next_with_nothing_left_says_so_and_keeps_the_piece_on_screen(pieces):
    stream = _live(["VNT-LIVE-001", "VNT-LIVE-002"])
    services.next_piece(stream_id=stream.pk)
    Item.objects.filter(sku="VNT-LIVE-002").update(status="sold")

    with pytest.raises(NothingLeftToShow, match=r"nothing left to show \(skipped: VNT-LIVE-002 is sold\)"):
        services.next_piece(stream_id=stream.pk)

    assert ScreenSpan.objects.get(stream=stream, shown_until__isnull=True).item.sku == "VNT-LIVE-001"


def test_next_with_a_sku_shows_that_piece_and_lines_it_up_when_it_was_not(pieces):
    stream = _live(["VNT-LIVE-001"])

    shown = services.next_piece(stream_id=stream.pk, sku="vnt-live-003")

    assert (shown.piece.item.sku, shown.piece.position) == ("VNT-LIVE-003", 2)
    assert services.next_piece(stream_id=stream.pk).piece.item.sku == "VNT-LIVE-001"


def test_next_with_an_unknown_or_sold_sku_is_refused(pieces):
    stream = _live(["VNT-LIVE-001"])
    Item.objects.filter(sku="VNT-LIVE-002").update(status="sold")

    with pytest.raises(ItemNotFound):
        services.next_piece(stream_id=stream.pk, sku="NOPE-1")
    with pytest.raises(PieceNotShowable, match="VNT-LIVE-002 cannot go on screen: it is sold."):
        services.next_piece(stream_id=stream.pk, sku="VNT-LIVE-002")

    assert StreamItem.objects.filter(stream=stream).count() == 1


def test_next_on_a_stream_not_started_or_ended_is_refused(pieces):
    stream = services.schedule_stream(title="Live", skus=["VNT-LIVE-001"])
    with pytest.raises(StreamNotLive):
        services.next_piece(stream_id=stream.pk)

    services.end_stream(stream_id=stream.pk)
    with pytest.raises(StreamEnded, match=f"Stream {stream.pk} has ended."):
        services.next_piece(stream_id=stream.pk)
    with pytest.raises(StreamEnded):
        services.start_stream(stream_id=stream.pk)
    with pytest.raises(StreamEnded):
        services.end_stream(stream_id=stream.pk)


def test_skip_takes_a_lined_up_piece_out_of_the_line_up(pieces):
    stream = _live(["VNT-LIVE-001", "VNT-LIVE-002"])

    services.skip_piece(stream_id=stream.pk, sku="VNT-LIVE-001")

    assert services.next_piece(stream_id=stream.pk).piece.item.sku == "VNT-LIVE-002"
    with pytest.raises(PieceNotInStream):
        services.skip_piece(stream_id=stream.pk, sku="VNT-LIVE-002")  # on screen, not lined up


def test_ending_closes_the_span_on_screen_and_holds_the_wins_until_the_end_plus_the_pay_hours(pieces, settings):
    settings.LIVE_PAY_HOURS = 24
    stream = _live(["VNT-LIVE-001", "VNT-LIVE-002"])
    shown = services.next_piece(stream_id=stream.pk)
    anna = make_customer("anna")
    soon = timezone.now() + timedelta(hours=1)
    Item.objects.filter(sku="VNT-LIVE-001").update(status="reserved", held_by=anna, held_until=soon)
    DropItem.objects.filter(pk=shown.span.drop_item_id).update(winner=anna, settled_at=timezone.now())

    ended = services.end_stream(stream_id=stream.pk)

    assert ended.status == "ended"
    assert ScreenSpan.objects.get(stream=stream).shown_until == ended.ended_at
    won = Item.objects.get(sku="VNT-LIVE-001")
    assert (won.held_by_id, won.held_until) == ("anna", ended.ended_at + timedelta(hours=24))
