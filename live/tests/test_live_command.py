"""`manage.py live schedule|start|next|end`, as the owner types it."""

from io import StringIO

import pytest
from django.core.management import call_command

from inventory.models import Item
from live.models import Stream
from philia.tests.factories import make_item

pytestmark = pytest.mark.django_db


def _live(*argv: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("live", *argv, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_whole_stream_from_the_command_line():
    for n in (1, 2, 3):
        make_item(f"VNT-LIVE-00{n}", name=f"Piece {n}")

    out, _ = _live(
        "schedule", "--title", "Friday live", "--at", "2026-12-24T19:00:00+00:00", "VNT-LIVE-001", "vnt-live-002"
    )
    stream_id = out.splitlines()[-1]
    assert stream_id == str(Stream.objects.get().pk)
    assert "lot 2: VNT-LIVE-002 · Piece 2" in out

    assert _live("start", stream_id)[0] == f"Stream {stream_id} is live: Friday live\n"
    assert _live("next", stream_id) == ("VNT-LIVE-001\n", "")
    assert _live("next", stream_id, "VNT-LIVE-003") == ("VNT-LIVE-003\n", "")
    Item.objects.filter(sku="VNT-LIVE-002").update(status="sold")
    with pytest.raises(Exception, match="nothing left to show"):
        _live("next", stream_id)
    assert _live("end", stream_id)[0] == f"Stream {stream_id} has ended: Friday live\n"


def test_next_tells_on_stderr_which_pieces_it_skipped():
    make_item("VNT-LIVE-001")
    make_item("VNT-LIVE-002")
    make_item("VNT-LIVE-003")
    out, _ = _live("schedule", "--title", "Live", "VNT-LIVE-001", "VNT-LIVE-002", "VNT-LIVE-003")
    stream_id = out.splitlines()[-1]
    Item.objects.filter(sku__in=["VNT-LIVE-001", "VNT-LIVE-002"]).update(status="sold")
    _live("start", stream_id)

    assert _live("next", stream_id) == (
        "VNT-LIVE-003\n",
        "Skipped lot 1, VNT-LIVE-001: it is sold.\nSkipped lot 2, VNT-LIVE-002: it is sold.\n",
    )
