"""While a stream is live, a DM that claims ("mine", "sold", "me!", "I'll take it", a SKU, the lot number) claims
the piece on screen when it was written (TikTok's time), settled as a drop: the earliest wins and is told at once,
the others get their place in line. With no stream live the same words get the usual answers."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from assistant import notices
from assistant.services import answer
from assistant.tests.assistant_support import make_customer
from conversations.models import Customer, Message
from inventory.models import DropClaim, DropItem, Item
from live import services
from live.models import Stream
from philia.tests.factories import make_item

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def offline(settings):
    settings.OPENAI_API_KEY = ""


@pytest.fixture
def stream() -> Stream:
    make_item("VNT-LIVE-001", name="Red Varsity Jacket", price="120.00", size_label="L")
    make_item("VNT-LIVE-002", name="Levi's 550 Jeans", price="60.00", size_label="32")
    make_item("VNT-LIVE-003", name="Black Bomber", price="90.00", size_label="M")
    scheduled = services.schedule_stream(title="Friday live", skus=["VNT-LIVE-001", "VNT-LIVE-002", "VNT-LIVE-003"])
    return services.start_stream(stream_id=scheduled.pk)


def viewer(name: str) -> Customer:
    return make_customer(f"{name}-id", name)


def write(customer: Customer, text: str, *, at: datetime, message_id: str | None = None) -> tuple[Message, str]:
    """The customer's DM written at TikTok time `at`, answered as the pipeline does; the answer's text."""
    message = Message.objects.create(
        customer=customer,
        role=Message.Role.USER,
        direction=Message.Direction.INBOUND,
        text=text,
        tiktok_message_id=message_id or f"{customer.pk}-{at.timestamp()}",
        created_at=at,
    )
    reply = answer(customer=customer, message=message)
    return message, reply.text if reply is not None else ""


def claims() -> list[tuple[str, str, str]]:
    return list(
        DropClaim.objects.order_by("pk").values_list("customer__username", "drop_item__item__sku", "message__text")
    )


def settle(sku: str) -> list[tuple[str, str]]:
    """Settle the piece's claims; what each claimant is told, in claim order."""
    drop_item = DropItem.objects.get(item__sku=sku, settled_at__isnull=True)
    notices.settle_drop_item(drop_item_id=drop_item.pk, received_at={})
    told = Message.objects.filter(direction="outbound", in_reply_to__drop_claims__drop_item=drop_item)
    return list(told.order_by("in_reply_to__created_at").values_list("customer__username", "text"))


@pytest.mark.parametrize("text", ["mine", "Sold!", "claim", "me!", "I'll take it", "MINE!!!", "dibs"])
def test_claim_words_claim_the_piece_on_screen_and_wait_for_the_settling(stream, text):
    shown = services.next_piece(stream_id=stream.pk)

    _, reply = write(viewer("anna"), text, at=shown.span.shown_from + timedelta(seconds=3))

    assert reply == ""
    assert claims() == [("anna", "VNT-LIVE-001", text)]
    assert Item.objects.get(sku="VNT-LIVE-001").status == "available"


@pytest.mark.parametrize(
    ("text", "sku"),
    [("lot 2", "VNT-LIVE-002"), ("#2", "VNT-LIVE-002"), ("2!!", "VNT-LIVE-002"), ("vnt-live-002", "VNT-LIVE-002")],
)
def test_the_lot_number_or_the_sku_claims_that_piece(stream, text, sku):
    start = timezone.now() - timedelta(minutes=1)
    services.next_piece(stream_id=stream.pk, now=start)
    services.next_piece(stream_id=stream.pk, now=start + timedelta(seconds=20))

    _, reply = write(viewer("anna"), text, at=start + timedelta(seconds=25))

    assert (reply, claims()) == ("", [("anna", sku, text)])


def test_a_claim_arriving_after_next_counts_for_the_piece_on_screen_when_it_was_written(stream):
    start = timezone.now() - timedelta(minutes=1)
    services.next_piece(stream_id=stream.pk, now=start)
    services.next_piece(stream_id=stream.pk, now=start + timedelta(seconds=30))

    write(viewer("anna"), "mine", at=start + timedelta(seconds=29, microseconds=999_000))  # arrives now
    write(viewer("ben"), "mine", at=start + timedelta(seconds=30))

    assert claims() == [("anna", "VNT-LIVE-001", "mine"), ("ben", "VNT-LIVE-002", "mine")]


def test_the_earliest_claim_wins_and_is_told_at_once_the_others_their_place_in_line(stream):
    shown = services.next_piece(stream_id=stream.pk)
    at = shown.span.shown_from
    write(viewer("ben"), "mine", at=at + timedelta(seconds=2))  # came in first, written later
    write(viewer("anna"), "sold", at=at + timedelta(seconds=1))
    write(viewer("cleo"), "me!", at=at + timedelta(seconds=3))

    told = settle("VNT-LIVE-001")

    assert told == [
        ("anna", "It's yours: Red Varsity Jacket, $120 — keep claiming, one invoice at the end!"),
        ("ben", "So close! Someone wrote a moment before you for VNT-LIVE-001 · Red Varsity Jacket · L · $120. "
                "You're #1 in line: I'll message you if it frees up."),
        ("cleo", "So close! Someone wrote a moment before you for VNT-LIVE-001 · Red Varsity Jacket · L · $120. "
                 "You're #2 in line: I'll message you if it frees up."),
    ]  # fmt: skip
    won = Item.objects.get(sku="VNT-LIVE-001")
    assert (won.status, won.held_by.username) == ("reserved", "anna")


def test_a_viewer_wins_many_pieces_whatever_the_hold_limit(stream, settings):
    settings.MAX_HOLDS_PER_CUSTOMER = 1
    anna = viewer("anna")
    start = timezone.now() - timedelta(minutes=1)
    for number, sku in enumerate(["VNT-LIVE-001", "VNT-LIVE-002", "VNT-LIVE-003"]):
        shown = services.next_piece(stream_id=stream.pk, now=start + timedelta(seconds=10 * number))
        write(anna, "mine", at=shown.span.shown_from + timedelta(seconds=1))
        settle(sku)

    assert sorted(Item.objects.filter(held_by=anna).values_list("sku", flat=True)) == [
        "VNT-LIVE-001",
        "VNT-LIVE-002",
        "VNT-LIVE-003",
    ]


def test_a_claim_for_a_piece_already_won_is_told_and_queued(stream):
    shown = services.next_piece(stream_id=stream.pk)
    write(viewer("anna"), "mine", at=shown.span.shown_from + timedelta(seconds=1))
    settle("VNT-LIVE-001")

    _, reply = write(viewer("ben"), "mine", at=shown.span.shown_from + timedelta(seconds=4))

    assert reply.startswith("Sorry, VNT-LIVE-001 · Red Varsity Jacket · L · $120 is on hold for another customer")
    assert "You're #1 in line" in reply
    assert claims() == [("anna", "VNT-LIVE-001", "mine")]


def test_a_duplicate_delivery_of_a_claim_is_one_claim(stream):
    shown = services.next_piece(stream_id=stream.pk)
    anna = viewer("anna")
    message, _ = write(anna, "mine", at=shown.span.shown_from + timedelta(seconds=1), message_id="tt-1")

    again = answer(customer=anna, message=message)  # the same message handled again (a redelivered job)

    assert again is not None and again.text == ""
    assert DropClaim.objects.count() == 1


def test_a_lot_not_on_screen_yet_is_said(stream):
    shown = services.next_piece(stream_id=stream.pk)

    _, reply = write(viewer("anna"), "lot 3", at=shown.span.shown_from + timedelta(seconds=1))

    assert (reply, claims()) == ("Lot 3 isn't on screen yet: claim it when it's up!", [])


def test_claim_words_with_no_stream_live_get_the_usual_answer(stream):
    services.end_stream(stream_id=stream.pk)

    _, reply = write(viewer("anna"), "mine", at=timezone.now())

    assert reply != ""
    assert claims() == []


def test_claim_words_before_the_first_piece_is_on_screen_get_the_usual_answer(stream):
    _, reply = write(viewer("anna"), "mine", at=timezone.now())

    assert reply != ""
    assert claims() == []
