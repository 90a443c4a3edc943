"""While a drop is live, a message that only names one of its pieces claims it ("VNT-DROP-001", "the varsity
jacket!!", "the red one"), and "mine!!" / "I'll take it" claim the one piece dropping; outside a live drop the
same messages get the card or a search, as they always have. A claim is answered when the drop settles, so the
turn itself says nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from assistant import notices
from assistant.tests.assistant_support import make_customer, say, status_of, text_of
from conversations.models import Message
from inventory.models import Drop, DropClaim, Item
from inventory.services import add_items, schedule_drop

pytestmark = pytest.mark.django_db

NIKE = "VNT-NIKE-WB-001"
VARSITY = {"sku": "VNT-DROP-001", "name": "Red Varsity Jacket", "brand": "DeLong", "category": "jacket",
           "colour": "red", "size_label": "L", "price": "120"}  # fmt: skip
JEANS = {"sku": "VNT-DROP-002", "name": "Levi's 550 Jeans", "brand": "Levi's", "category": "jeans",
         "colour": "medium wash", "size_label": "32", "price": "60"}  # fmt: skip
BOMBER = {"sku": "VNT-DROP-003", "name": "Black Bomber Jacket", "brand": "Alpha Industries", "category": "jacket",
          "colour": "black", "size_label": "M", "price": "90"}  # fmt: skip
VARSITY_LINE = "VNT-DROP-001 · Red Varsity Jacket · L · $120"
JEANS_LINE = "VNT-DROP-002 · Levi's 550 Jeans · 32 · $60"
BOMBER_LINE = "VNT-DROP-003 · Black Bomber Jacket · M · $90"
NAMING_MESSAGES = ["VNT-DROP-001", "vnt-drop-001 pls", "the varsity jacket!!", "jacket pls", "the red one"]


@pytest.fixture(autouse=True)
def offline(settings):
    settings.OPENAI_API_KEY = ""


def drop(*pieces: dict, dropped_ago: timedelta = timedelta(minutes=1)) -> Drop:
    """A drop of `pieces` whose time was `dropped_ago` (scheduled ahead, then the clock moved on)."""
    skus = [piece["sku"] for piece in pieces]
    add_items(items=list(pieces))
    scheduled = schedule_drop(drops_at=timezone.now() + timedelta(hours=1), skus=skus, name="Friday drop")
    return drop_time_passes(scheduled, dropped_ago=dropped_ago)


def drop_time_passes(scheduled: Drop, *, dropped_ago: timedelta = timedelta(0)) -> Drop:
    scheduled.drops_at = timezone.now() - dropped_ago
    scheduled.save(update_fields=["drops_at"])
    Item.objects.filter(drop_entries__drop=scheduled).update(drops_at=scheduled.drops_at)
    return scheduled


def claims() -> list[tuple[str, str, str]]:
    return list(DropClaim.objects.values_list("customer_id", "drop_item__item__sku", "message__text"))


@pytest.mark.parametrize("text", NAMING_MESSAGES)
def test_a_message_only_naming_a_piece_of_a_live_drop_claims_it_and_waits_for_the_settling(stock, anna, text):
    drop(VARSITY, JEANS)

    reply = say(anna, text)

    assert (reply.text, reply.source) == ("", "fast_path")
    assert claims() == [(anna.pk, "VNT-DROP-001", text)]
    assert status_of("VNT-DROP-001") == (Item.Status.AVAILABLE, None)


@pytest.mark.parametrize("text", NAMING_MESSAGES)
def test_once_the_drop_is_long_past_and_nobody_claimed_the_message_gets_what_it_always_got(stock, anna, ben, text):
    add_items(items=[VARSITY, JEANS])
    never_in_a_drop = text_of(anna, text)
    Item.objects.filter(sku__in=["VNT-DROP-001", "VNT-DROP-002"]).delete()
    drop(VARSITY, JEANS, dropped_ago=timedelta(minutes=20))

    assert text_of(ben, text) == never_in_a_drop
    assert never_in_a_drop.startswith((f"{VARSITY_LINE}\n", "Here's what I have"))
    assert claims() == []


def test_once_the_drop_is_settled_naming_the_piece_gets_its_card(stock, anna, ben):
    drop(VARSITY)
    say(ben, "mine VNT-DROP-001")

    notices.settle_drop_item(drop_item_id=DropClaim.objects.get().drop_item_id, received_at={})

    text = text_of(anna, "VNT-DROP-001")

    assert text.startswith(
        f"{VARSITY_LINE} (on hold)\nDeLong, red. Condition: good.\nIt's on hold for another customer"
    )
    assert claims() == [(ben.pk, "VNT-DROP-001", "mine VNT-DROP-001")]


@pytest.mark.parametrize(
    ("dropped_ago", "claim_minutes", "someone_claimed"),
    [(timedelta(minutes=5), None, False), (timedelta(minutes=20), 30, False), (timedelta(minutes=20), None, True)],
    ids=["5 minutes after the drop", "within DROP_CLAIM_MINUTES", "long after, but being settled"],
)
def test_a_naming_message_claims_shortly_after_the_drop_time_or_while_the_piece_is_being_settled(
    stock, anna, ben, settings, dropped_ago, claim_minutes, someone_claimed
):
    if claim_minutes is not None:
        settings.DROP_CLAIM_MINUTES = claim_minutes
    drop(VARSITY, dropped_ago=dropped_ago)
    if someone_claimed:
        say(ben, "I'll take VNT-DROP-001")

    reply = say(anna, "the varsity jacket!!")

    assert reply.text == ""
    assert (anna.pk, "VNT-DROP-001", "the varsity jacket!!") in claims()


def test_a_description_matching_two_pieces_of_the_live_drop_asks_which_and_claims_nothing(stock, anna):
    drop(VARSITY, JEANS, BOMBER)

    text = text_of(anna, "the jacket!!")

    assert text == (
        f"Which one do you want?\n{VARSITY_LINE}\n{BOMBER_LINE}\n"
        'Send the SKU or say "the first one" — the first to write gets it.'
    )
    assert claims() == []


def test_the_answer_to_which_one_is_a_claim(stock, anna):
    drop(VARSITY, JEANS, BOMBER)
    say(anna, "the jacket!!")

    reply = say(anna, "the second one")

    assert reply.text == ""
    assert claims() == [(anna.pk, "VNT-DROP-003", "the second one")]


@pytest.mark.parametrize("text", ["mine!!", "I'll take it", "dibs"])
def test_claim_words_alone_claim_the_one_piece_of_a_live_drop(stock, anna, text):
    drop(VARSITY)

    reply = say(anna, text)

    assert reply.text == ""
    assert claims() == [(anna.pk, "VNT-DROP-001", text)]


@pytest.mark.parametrize("text", ["mine!!", "I'll take it", "dibs"])
def test_claim_words_alone_in_a_drop_of_several_pieces_ask_which_naming_them(stock, anna, text):
    drop(VARSITY, JEANS)

    assert text_of(anna, text) == (
        f"Which one do you want?\n{VARSITY_LINE}\n{JEANS_LINE}\n"
        'Send the SKU or say "the first one" — the first to write gets it.'
    )
    assert claims() == []


def test_claim_words_mean_the_drop_not_a_piece_shown_before_it_went_live(stock, anna):
    add_items(items=[VARSITY])
    scheduled = schedule_drop(drops_at=timezone.now() + timedelta(hours=1), skus=["VNT-DROP-001"])
    say(anna, NIKE)  # the Nike's card, before the drop
    drop_time_passes(scheduled)

    reply = say(anna, "mine!!")

    assert reply.text == ""
    assert claims() == [(anna.pk, "VNT-DROP-001", "mine!!")]
    assert status_of(NIKE) == (Item.Status.AVAILABLE, None)


def test_claim_words_about_a_piece_shown_since_the_drop_went_live_hold_that_piece(stock, anna):
    drop(VARSITY)
    say(anna, NIKE)

    text = text_of(anna, "I'll take it")

    assert text.startswith(f"Done! {NIKE} · Vintage Nike Windbreaker · L · $45 is on hold for you until ")
    assert claims() == []


@pytest.mark.parametrize(
    "text",
    [
        "is the varsity jacket still available?",
        "VNT-DROP-001?",
        "how much is the varsity jacket",
        "got any jackets?",
        "pics of the varsity jacket",
        "the varsity jacket is so ugly",
        "ok",
        "VNT-DROP-001 VNT-DROP-002",
    ],
)
def test_a_question_a_remark_or_naming_two_pieces_of_a_live_drop_is_not_a_claim(stock, anna, text):
    drop(VARSITY, JEANS)

    assert text_of(anna, text) != ""
    assert claims() == []


def test_a_claim_by_naming_never_waits_for_the_ai(ai_settings, fake_openai, stock, anna):
    drop(VARSITY, JEANS)

    reply = say(anna, "the varsity jacket!!")

    assert (reply.text, reply.source) == ("", "fast_path")
    assert claims() == [(anna.pk, "VNT-DROP-001", "the varsity jacket!!")]
    assert fake_openai.requests == []


def test_a_claim_is_answered_as_the_reply_to_its_own_message(stock, anna):
    drop(VARSITY)
    say(anna, "the red one")

    notices.settle_drop_item(drop_item_id=DropClaim.objects.get().drop_item_id, received_at={})

    reply = Message.objects.filter(role=Message.Role.ASSISTANT, text__startswith="You got it!").get()
    assert (reply.customer_id, reply.in_reply_to.text) == (anna.pk, "the red one")
    assert status_of("VNT-DROP-001") == (Item.Status.RESERVED, anna.pk)


def test_a_second_customer_naming_the_piece_is_its_second_claim(stock, anna):
    drop(VARSITY)
    say(anna, "VNT-DROP-001")

    say(make_customer("fan-two", "fan_two"), "jacket pls")

    assert sorted(customer for customer, _, _ in claims()) == sorted([anna.pk, "fan-two"])
