"""The database itself refuses a stream or a span in an impossible state, whatever code (or SQL) tries."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from live.models import ScreenSpan, Stream, StreamItem
from philia.tests.factories import make_item

pytestmark = pytest.mark.django_db


def _stream(title: str = "Friday live", **fields: object) -> Stream:
    return Stream.objects.create(title=title, scheduled_at=timezone.now(), **fields)


def test_a_second_live_stream_is_refused():
    _stream("First", status="live", started_at=timezone.now())

    with pytest.raises(IntegrityError, match="stream_one_live_at_a_time"), transaction.atomic():
        _stream("Second", status="live", started_at=timezone.now())


def test_any_number_of_scheduled_and_ended_streams_is_fine():
    now = timezone.now()
    _stream("A")
    _stream("B")
    _stream("C", status="ended", started_at=now, ended_at=now)
    _stream("D", status="ended", started_at=now, ended_at=now)

    assert Stream.objects.count() == 4


def test_a_live_stream_without_its_start_is_refused():
    with pytest.raises(IntegrityError, match="stream_times_match_status"), transaction.atomic():
        _stream(status="live")


def test_the_same_lot_number_twice_in_a_stream_is_refused():
    stream = _stream()
    StreamItem.objects.create(stream=stream, item=make_item("VNT-A-001"), position=1)

    with pytest.raises(IntegrityError, match="stream_item_position_once"), transaction.atomic():
        StreamItem.objects.create(stream=stream, item=make_item("VNT-A-002"), position=1)


def test_two_pieces_on_screen_at_once_are_refused():
    stream = _stream(status="live", started_at=timezone.now())
    first, second = (
        StreamItem.objects.create(stream=stream, item=make_item(f"VNT-A-00{n}"), position=n) for n in (1, 2)
    )
    now = timezone.now()
    ScreenSpan.objects.create(stream=stream, stream_item=first, item=first.item, shown_from=now)

    with pytest.raises(IntegrityError, match="screen_span_one_on_screen"), transaction.atomic():
        ScreenSpan.objects.create(stream=stream, stream_item=second, item=second.item, shown_from=now)


def test_a_span_ending_before_it_starts_is_refused():
    stream = _stream()
    piece = StreamItem.objects.create(stream=stream, item=make_item(), position=1)
    now = timezone.now()

    with pytest.raises(IntegrityError, match="screen_span_ends_after_start"), transaction.atomic():
        ScreenSpan.objects.create(
            stream=stream, stream_item=piece, item=piece.item, shown_from=now, shown_until=now - timedelta(seconds=1)
        )
