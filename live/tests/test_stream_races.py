"""Two Nexts, or two starts, at the same moment: the stream row's lock puts them one after the other."""

import pytest

from live import services
from live.exceptions import AnotherStreamLive
from live.models import ScreenSpan, Stream
from philia.tests.concurrency import run_at_once
from philia.tests.factories import make_item

# transaction=True: the calls run in real threads on their own connections, which only see committed rows.
pytestmark = pytest.mark.django_db(transaction=True)


def test_two_nexts_at_once_bring_two_different_pieces_on_screen_one_after_the_other():
    for n in (1, 2, 3):
        make_item(f"VNT-LIVE-00{n}")
    stream = services.schedule_stream(title="Live", skus=["VNT-LIVE-001", "VNT-LIVE-002", "VNT-LIVE-003"])
    services.start_stream(stream_id=stream.pk)

    shown = run_at_once([lambda: services.next_piece(stream_id=stream.pk)] * 2)

    assert sorted(result.piece.item.sku for result in shown) == ["VNT-LIVE-001", "VNT-LIVE-002"]
    spans = list(ScreenSpan.objects.filter(stream=stream).order_by("shown_from", "pk"))
    assert [span.item.sku for span in spans] == ["VNT-LIVE-001", "VNT-LIVE-002"]
    assert spans[0].shown_until is not None and spans[0].shown_until <= spans[1].shown_from
    assert spans[1].shown_until is None


def test_two_streams_started_at_once_one_goes_live_the_other_is_refused():
    make_item("VNT-LIVE-001")
    first, second = (services.schedule_stream(title=title, skus=["VNT-LIVE-001"]) for title in ("A", "B"))

    outcomes = run_at_once(
        [lambda: services.start_stream(stream_id=first.pk), lambda: services.start_stream(stream_id=second.pk)]
    )

    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["AnotherStreamLive", "Stream"]
    assert Stream.objects.filter(status="live").count() == 1
    assert any(isinstance(outcome, AnotherStreamLive) for outcome in outcomes)
