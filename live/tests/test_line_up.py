"""Lining up more pieces after the stream is scheduled: found on the stream page by SKU or name and added with one
tap (`services.line_up_piece`, `selectors.pieces_to_line_up`); each refusal said plainly, nothing written."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from inventory.exceptions import ItemNotFound
from inventory.models import Item
from live import selectors, services
from live.exceptions import InvalidStream, PieceNotShowable, StreamEnded, StreamNotFound
from live.models import Stream, StreamItem
from philia.tests.factories import make_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def stream() -> Stream:
    make_item("VNT-LIVE-001", name="Levi's 501 Jeans", brand="Levi's", price="40.00")
    make_item("VNT-LIVE-002", name="Levi's Type III Trucker Jacket", brand="Levi's", price="85.00")
    make_item("VNT-LIVE-003", name="Carhartt Detroit Jacket", brand="Carhartt", price="120.00")
    make_item("VNT-LIVE-004", name="Levi's Orange Tab Trucker", brand="Levi's", price="70.00", status=Item.Status.SOLD)
    return services.schedule_stream(title="Friday live", skus=["VNT-LIVE-001"])


def lots(stream: Stream) -> list[tuple[int, str]]:
    return list(StreamItem.objects.filter(stream=stream).order_by("position").values_list("position", "item__sku"))


def test_a_piece_is_lined_up_as_the_next_lot(stream):
    piece = services.line_up_piece(stream_id=stream.pk, sku="vnt-live-003")

    assert piece.position == 2
    assert lots(stream) == [(1, "VNT-LIVE-001"), (2, "VNT-LIVE-003")]


def test_a_piece_is_lined_up_while_the_stream_is_live(stream):
    services.start_stream(stream_id=stream.pk)

    services.line_up_piece(stream_id=stream.pk, sku="VNT-LIVE-002")

    assert lots(stream)[-1] == (2, "VNT-LIVE-002")


@pytest.mark.parametrize(
    ("sku", "refusal", "said"),
    [
        ("VNT-LIVE-001", InvalidStream, "VNT-LIVE-001 is already lot 1 of this stream."),
        ("VNT-LIVE-004", PieceNotShowable, "VNT-LIVE-004 cannot go on screen: it is sold."),
        ("VNT-NOPE-999", ItemNotFound, "VNT-NOPE-999"),
    ],
)
def test_a_piece_that_cannot_be_lined_up_is_refused_and_nothing_is_written(stream, sku, refusal, said):
    with pytest.raises(refusal, match=said):
        services.line_up_piece(stream_id=stream.pk, sku=sku)

    assert lots(stream) == [(1, "VNT-LIVE-001")]


def test_an_ended_or_unknown_stream_takes_no_piece(stream):
    services.end_stream(stream_id=stream.pk)

    with pytest.raises(StreamEnded):
        services.line_up_piece(stream_id=stream.pk, sku="VNT-LIVE-002")
    with pytest.raises(StreamNotFound):
        services.line_up_piece(stream_id=stream.pk + 1000, sku="VNT-LIVE-002")


def test_pieces_are_found_by_every_word_of_their_name_never_sold_or_already_lined_up(stream):
    found = selectors.pieces_to_line_up(stream_id=stream.pk, text="levis trucker")
    by_sku = selectors.pieces_to_line_up(stream_id=stream.pk, text="vnt-live-003")

    assert [item.sku for item in found] == ["VNT-LIVE-002"]  # "levis" is "Levi's"; the sold trucker is left out
    assert [item.sku for item in by_sku] == ["VNT-LIVE-003"]
    assert selectors.pieces_to_line_up(stream_id=stream.pk, text="501") == []  # lot 1 already
    assert selectors.pieces_to_line_up(stream_id=stream.pk, text="   ") == []


def test_the_stream_page_finds_pieces_and_lines_one_up_with_a_tap(admin_client, stream):
    page = admin_client.get(reverse("admin:live_stream_change", args=[stream.pk]), {"find": "jacket"})

    assert page.status_code == 200
    assert [item.sku for item in page.context["found"]] == ["VNT-LIVE-003", "VNT-LIVE-002"]
    assert b"Line up" in page.content

    response = admin_client.post(
        reverse("admin:live_stream_line_up", args=[stream.pk]), {"sku": "VNT-LIVE-003"}, follow=True
    )

    said = [str(message) for message in get_messages(response.wsgi_request)]
    assert said == ["Lined up as lot 2: VNT-LIVE-003 Carhartt Detroit Jacket."]
    assert lots(stream) == [(1, "VNT-LIVE-001"), (2, "VNT-LIVE-003")]


def test_a_refused_line_up_is_an_error_message_on_the_page(admin_client, stream):
    response = admin_client.post(
        reverse("admin:live_stream_line_up", args=[stream.pk]), {"sku": "VNT-LIVE-001"}, follow=True
    )

    assert response.status_code == 200
    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        "VNT-LIVE-001 is already lot 1 of this stream."
    ]
