"""A drop or live claim that lost: the loser's one answer says their place in line and lists up to 3 pieces on sale
like the one they lost, best first for their sizes, stored as propositions (reason `lost_claim`) in reply to the
claim (issue 21). Never the piece itself, one held, sold, hidden, not dropped yet, being settled, or still to be
shown in a stream; never to a customer the assistant does not answer (STOP, bot paused)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from assistant import notices
from conversations.models import Customer, Message
from inventory.models import Drop, DropItem, Item
from inventory.services import claim_drop_item, schedule_drop
from live import services as live_services
from philia.tests.factories import make_customer, make_item
from propositions.models import Interaction, Proposition
from propositions.services import set_sizes

pytestmark = pytest.mark.django_db

LOST_LINE = "VNT-DROP-001 · Nike Windbreaker · L · $45"
PLACE_1 = (
    f"So close! Someone wrote a moment before you for {LOST_LINE}. You're #1 in line: I'll message you if it frees up."
)
PLACE_2 = PLACE_1.replace("#1", "#2")


def jacket(sku: str, name: str, *, brand: str = "Nike", size: str = "L", **fields) -> Item:
    return make_item(sku, name=name, brand=brand, category="jacket", size_label=size, price="45.00", **fields)


def similar_stock() -> None:
    """Four jackets like the one dropped (a Nike windbreaker in L, $45) and a tee that is nothing like it."""
    jacket("NIKE-L", "Nike Windbreaker")  # 0.95 for anyone of no known size
    jacket("ADIDAS-L", "Adidas Track Jacket", brand="Adidas")  # 0.75
    jacket("NIKE-S", "Nike Windbreaker", size="S")  # 0.70
    jacket("LEVIS-S", "Levi's Trucker Jacket", brand="Levi's", size="S")  # 0.50
    make_item("A-TEE", name="Plain Tee", brand="Gildan", category="tshirt", size_label="L")


def drop(*pieces: Item) -> Drop:
    """A drop of `pieces` whose time passed a minute ago (scheduled ahead, then the clock moved on)."""
    scheduled = schedule_drop(drops_at=timezone.now() + timedelta(hours=1), skus=[piece.sku for piece in pieces])
    scheduled.drops_at = timezone.now() - timedelta(minutes=1)
    scheduled.save(update_fields=["drops_at"])
    Item.objects.filter(drop_entries__drop=scheduled).update(drops_at=scheduled.drops_at)
    return scheduled


def dropped() -> DropItem:
    """The Nike windbreaker in L, just dropped."""
    return drop(jacket("VNT-DROP-001", "Nike Windbreaker")).drop_items.get()


def claim(drop_item: DropItem, name: str, *, after_ms: int, **customer_fields) -> Customer:
    """`name` claims the piece `after_ms` milliseconds after its drop time."""
    customer = make_customer(name, last_inbound_at=timezone.now(), **customer_fields)
    message = Message.objects.create(
        customer=customer, role="user", direction="inbound", text="mine!", tiktok_message_id=f"msg-{name}"
    )
    item = Item.objects.get(pk=drop_item.item_id)
    written_ms = int(drop_item.drop.drops_at.timestamp() * 1000) + after_ms
    assert claim_drop_item(item=item, customer=customer, message=message, written_at_ms=written_ms) is not None
    return customer


def settle(drop_item: DropItem) -> dict[str, list[str]]:
    """Settle the drop item; every answer each claimant got."""
    assert notices.settle_drop_item(drop_item_id=drop_item.pk, received_at={}) is True
    answers: dict[str, list[str]] = {}
    for customer_id, text in Message.objects.filter(role="assistant").order_by("pk").values_list("customer_id", "text"):
        answers.setdefault(customer_id, []).append(text)
    return answers


def proposed_to(customer_id: str) -> list[str]:
    return list(
        Proposition.objects.filter(customer_id=customer_id).order_by("-confidence").values_list("item__sku", flat=True)
    )


def similar(*skus: str) -> str:
    names = {item.sku: item for item in Item.objects.filter(sku__in=skus)}
    return "\nSimilar pieces:\n" + "\n".join(
        f"{sku} · {names[sku].name} · {names[sku].size_label} · $45" for sku in skus
    )


def test_each_loser_gets_one_answer_with_their_place_and_the_three_closest_pieces_the_winner_none():
    similar_stock()
    drop_item = dropped()
    claim(drop_item, "anna", after_ms=100)
    claim(drop_item, "ben", after_ms=200)
    claim(drop_item, "cleo", after_ms=300)

    answers = settle(drop_item)

    assert answers["anna"] == [answers["anna"][0]] and answers["anna"][0].startswith(
        f"You got it! {LOST_LINE} is yours"
    )
    assert "Similar pieces" not in answers["anna"][0]
    assert answers["ben"] == [PLACE_1 + similar("NIKE-L", "ADIDAS-L", "NIKE-S")]
    assert answers["cleo"] == [PLACE_2 + similar("NIKE-L", "ADIDAS-L", "NIKE-S")]
    assert proposed_to("anna") == []


def test_the_propositions_are_stored_as_shown_in_place_of_the_lost_piece_in_reply_to_the_claim():
    similar_stock()
    drop_item = dropped()
    claim(drop_item, "anna", after_ms=100)
    claim(drop_item, "ben", after_ms=200)

    settle(drop_item)

    claiming = Message.objects.get(tiktok_message_id="msg-ben")
    rows = Proposition.objects.order_by("-confidence").values_list(
        "customer_id", "item__sku", "instead_of__sku", "reason", "outcome", "message_id", "confidence"
    )
    assert list(rows) == [
        ("ben", "NIKE-L", "VNT-DROP-001", "lost_claim", "shown", claiming.pk, pytest.approx(0.95, abs=0.01)),
        ("ben", "ADIDAS-L", "VNT-DROP-001", "lost_claim", "shown", claiming.pk, pytest.approx(0.75, abs=0.01)),
        ("ben", "NIKE-S", "VNT-DROP-001", "lost_claim", "shown", claiming.pk, pytest.approx(0.70, abs=0.01)),
    ]
    assert set(Proposition.objects.get(item__sku="NIKE-L").features) == {
        "category", "size", "price", "brand", "style", "newness"
    }  # fmt: skip
    shown = Interaction.objects.filter(kind="proposition_shown").values_list("customer_id", "item__sku", "message_id")
    assert sorted(shown) == [("ben", sku, claiming.pk) for sku in ("ADIDAS-L", "NIKE-L", "NIKE-S")]
    assert list(Interaction.objects.filter(kind="lost_claim").values_list("customer_id", "item__sku")) == [
        ("ben", "VNT-DROP-001")
    ]


def test_a_loser_of_a_known_size_gets_the_pieces_in_their_size_first_others_those_in_the_size_lost():
    similar_stock()
    drop_item = dropped()
    claim(drop_item, "anna", after_ms=100)
    small = claim(drop_item, "ben", after_ms=200)
    set_sizes(customer=small, labels=["S"])
    claim(drop_item, "cleo", after_ms=300)

    answers = settle(drop_item)

    assert answers["ben"] == [PLACE_1 + similar("NIKE-S", "LEVIS-S", "NIKE-L")]
    assert answers["cleo"] == [PLACE_2 + similar("NIKE-L", "ADIDAS-L", "NIKE-S")]


def test_nothing_is_proposed_when_no_similar_piece_is_on_sale():
    other = make_customer("other")
    jacket("HELD", "Nike Windbreaker", held_by=other, held_until=timezone.now() + timedelta(hours=3))
    jacket("SOLD", "Nike Windbreaker", status="sold")
    jacket("HIDDEN", "Nike Windbreaker", status="hidden")
    jacket("UPCOMING", "Nike Windbreaker", drops_at=timezone.now() + timedelta(days=1))
    make_item("A-TEE", name="Plain Tee", brand="Gildan", category="tshirt", size_label="L")
    drop_item = dropped()
    claim(drop_item, "anna", after_ms=100)
    claim(drop_item, "ben", after_ms=200)

    answers = settle(drop_item)

    assert answers["ben"] == [PLACE_1]
    assert Proposition.objects.count() == 0


def test_a_piece_being_settled_in_the_same_drop_is_not_proposed_one_nobody_claimed_is():
    claimed = jacket("NIKE-CLAIMED", "Nike Windbreaker")
    unclaimed = jacket("NIKE-UNCLAIMED", "Nike Windbreaker", size="XL")
    lost = jacket("VNT-DROP-001", "Nike Windbreaker")
    the_drop = drop(lost, claimed, unclaimed)
    claim(the_drop.drop_items.get(item=claimed), "dora", after_ms=50)
    drop_item = the_drop.drop_items.get(item=lost)
    claim(drop_item, "anna", after_ms=100)
    claim(drop_item, "ben", after_ms=200)

    answers = settle(drop_item)

    assert answers["ben"] == [PLACE_1 + similar("NIKE-UNCLAIMED")]


@pytest.mark.parametrize(
    ("customer_fields", "why"),
    [
        ({"opted_out_at": timezone.now()}, "sent STOP"),
        ({"bot_paused_until": timezone.now() + timedelta(hours=1)}, "bot paused for them"),
    ],
)
def test_a_loser_the_assistant_does_not_answer_gets_no_proposition(customer_fields, why):
    similar_stock()
    drop_item = dropped()
    claim(drop_item, "anna", after_ms=100)
    claim(drop_item, "ben", after_ms=200, **customer_fields)
    claim(drop_item, "cleo", after_ms=300)

    answers = settle(drop_item)

    assert answers["ben"] == [PLACE_1], why
    assert proposed_to("ben") == []
    assert proposed_to("cleo") == ["NIKE-L", "ADIDAS-L", "NIKE-S"]


def test_a_loser_who_said_no_suggestions_still_gets_pieces_in_the_answer_to_their_claim():
    """As the offline assistant does when they ask for a gone piece: "no suggestions" withdraws the consent to
    unprompted news (new arrivals, lives), not the answer to what they wrote."""
    similar_stock()
    drop_item = dropped()
    claim(drop_item, "anna", after_ms=100)
    claim(drop_item, "ben", after_ms=200, marketing_consent=False, marketing_consent_at=timezone.now())

    answers = settle(drop_item)

    assert answers["ben"] == [PLACE_1 + similar("NIKE-L", "ADIDAS-L", "NIKE-S")]


def test_pieces_a_scheduled_or_live_stream_still_has_to_show_are_never_proposed():
    similar_stock()
    live_services.schedule_stream(title="Sunday live", skus=["NIKE-L"])
    ended = live_services.schedule_stream(title="Called off", skus=["ADIDAS-L"])
    live_services.end_stream(stream_id=ended.pk)
    drop_item = dropped()
    claim(drop_item, "anna", after_ms=100)
    claim(drop_item, "ben", after_ms=200)

    answers = settle(drop_item)

    assert answers["ben"] == [PLACE_1 + similar("ADIDAS-L", "NIKE-S", "LEVIS-S")]


def test_a_live_loser_is_proposed_neither_the_lots_still_to_come_nor_one_being_claimed():
    similar_stock()
    for sku in ("VNT-DROP-001", "LOT-2", "LOT-3"):
        jacket(sku, "Nike Windbreaker")
    stream = live_services.schedule_stream(title="Friday live", skus=["VNT-DROP-001", "LOT-2", "LOT-3"])
    live_services.start_stream(stream_id=stream.pk)
    start = timezone.now() - timedelta(minutes=1)
    live_services.next_piece(stream_id=stream.pk, now=start)
    drop_item = DropItem.objects.get(item__sku="VNT-DROP-001")
    claim(drop_item, "anna", after_ms=100)
    claim(drop_item, "ben", after_ms=200)
    live_services.next_piece(stream_id=stream.pk, now=start + timedelta(seconds=30))
    claim(DropItem.objects.get(item__sku="LOT-2"), "dora", after_ms=100)  # on screen, its claims not settled yet

    answers = settle(drop_item)

    assert answers["anna"] == ["It's yours: Nike Windbreaker, $45 — keep claiming, one invoice at the end!"]
    assert answers["ben"] == [PLACE_1 + similar("NIKE-L", "ADIDAS-L", "NIKE-S")]  # LOT-2, LOT-3 score as NIKE-L


def test_settling_many_losers_takes_as_many_queries_as_settling_a_few(django_assert_max_num_queries):
    similar_stock()
    for count in (3, 60):
        drop_item = drop(jacket(f"VNT-DROP-{count:03d}", "Nike Windbreaker")).drop_items.get()
        for number in range(count):
            customer = claim(drop_item, f"fan{count}-{number:02d}", after_ms=100 + number)
            if number % 3 == 1:
                set_sizes(customer=customer, labels=["S"])

        with django_assert_max_num_queries(QUERIES_TO_SETTLE):
            assert notices.settle_drop_item(drop_item_id=drop_item.pk, received_at={}) is True

        assert Proposition.objects.filter(instead_of=drop_item.item).count() == 3 * (count - 1)


# Lock and read the drop item and its claims; the winner's hold (customer, item, hold); the others in line; the
# outcomes and the drop item; is it a live piece; the candidates, the losers' sizes and their propositions (the three
# proposing adds); the replies; the lost claims; the savepoints around them.
QUERIES_TO_SETTLE = 23
