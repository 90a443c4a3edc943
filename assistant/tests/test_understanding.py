"""The offline assistant reads what a customer means (issue 25): pieces named anywhere in the catalogue, the customer's
own holds first, filler words ignored; questions answered and never acted on; requests with a condition; several
asks in one message; short follow-ups of the last turn. The demo stock, turn by turn, no AI."""

from decimal import Decimal

import pytest

from assistant.tests.assistant_support import hold, say, status_of, text_of
from conversations.models import Customer
from inventory.models import Item
from inventory.services import hide_item
from orders.models import Offer, Order
from orders.services import place_order

HARLEY = "VNT-HARL-TEE-008"
CARHARTT = "VNT-CARH-DJ-002"
NIKE_WB = "VNT-NIKE-WB-001"
CHAMPION = "VNT-CHAM-RW-006"
TRENCH = "VNT-BURB-TREN-016"
LEVIS_TRUCKER = "VNT-LEVI-TRUC-015"
WRANGLER = "VNT-WRNG-TRUC-010"
ADIDAS = "VNT-ADID-TT-004"


@pytest.fixture(autouse=True)
def offline(settings):
    settings.OPENAI_API_KEY = ""
    settings.HOLD_HOURS = 24
    settings.MAX_HOLDS_PER_CUSTOMER = 3
    settings.OFFER_FLOOR_PERCENT = 80


def held_by(customer: Customer) -> set[str]:
    return set(Item.objects.filter(held_by=customer, status=Item.Status.RESERVED).values_list("sku", flat=True))


# --- Pieces named anywhere in the catalogue --------------------------------------------------------------------


def test_a_piece_held_by_someone_else_is_said_to_be_held(stock, anna, ben):
    hold(LEVIS_TRUCKER, ben)

    text = text_of(anna, "is the levi's trucker still around?")

    assert "on hold for another customer" in text
    assert status_of(LEVIS_TRUCKER) == ("reserved", ben.pk)


def test_a_sold_piece_is_said_to_be_sold(stock, anna, ben):
    hold(HARLEY, ben)
    place_order(customer=ben)

    text = text_of(anna, "omg is the harley davidson tee still available??")

    assert "sold" in text.lower()
    assert HARLEY in text


def test_a_hidden_piece_is_said_to_be_off_sale_and_never_held(stock, anna):
    hide_item(sku=TRENCH)

    text = text_of(anna, "can i get the burberry trench coat")

    assert "isn't on sale" in text
    assert held_by(anna) == set()


def test_a_piece_named_by_a_word_of_its_name_alone(stock, anna):
    text = text_of(anna, "can i see the synchilla")

    assert "VNT-PATA-SNAP-005" in text


def test_two_pieces_that_really_fit_are_asked_about(stock, anna):
    text = text_of(anna, "hold the trucker jacket")

    assert "which" in text.lower()
    assert LEVIS_TRUCKER in text and WRANGLER in text
    assert held_by(anna) == set()


def test_filler_words_never_block_the_customers_own_hold(stock, anna):
    hold(NIKE_WB, anna)
    hold(CHAMPION, anna)

    say(anna, "ok so like honestly i dont really need the windbreaker anymore sorry")

    assert held_by(anna) == {CHAMPION}


def test_never_mind_a_named_hold_releases_that_one(stock, anna):
    hold(NIKE_WB, anna)
    hold(CHAMPION, anna)

    say(anna, "never mind the sweatshirt")

    assert held_by(anna) == {NIKE_WB}


def test_what_is_kept_is_not_released(stock, anna):
    hold(NIKE_WB, anna)
    hold(CARHARTT, anna)

    say(anna, "cancel the hold on the windbreaker but keep the carhartt")

    assert held_by(anna) == {CARHARTT}


# --- Questions are answered, never acted on ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        "what's on hold for me?",
        "what do i have on hold rn",
        "am i holding anything?",
        "is my windbreaker still on hold?",
    ],
)
def test_questions_about_holds_list_them(stock, anna, message):
    hold(NIKE_WB, anna)

    text = text_of(anna, message)

    assert NIKE_WB in text
    assert held_by(anna) == {NIKE_WB}
    assert not Order.objects.exists()


def test_a_question_about_holds_with_nothing_held(stock, anna):
    text = text_of(anna, "what do i have on hold rn")

    assert "don't have anything on hold" in text
    assert held_by(anna) == set()


def test_is_it_on_hold_asks_and_holds_nothing(stock, anna):
    text = text_of(anna, "is the carhartt on hold for someone?")

    assert "available" in text.lower()
    assert held_by(anna) == set()


def test_paying_with_a_way_the_shop_does_not_take_is_a_question(stock, anna, settings):
    settings.PAYMENT_METHODS = ""
    hold(LEVIS_TRUCKER, anna)

    text = text_of(anna, "can i buy the trucker with venmo?")

    assert "venmo" in text.lower()
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    "message", ["how many things can i hold at once", "does holding cost anything?", "do i have to buy it right now?"]
)
def test_questions_about_the_hold_rules(stock, anna, message):
    text = text_of(anna, message)

    assert "24 hours" in text
    assert held_by(anna) == set() and not Order.objects.exists()


def test_do_you_take_offers_is_answered(stock, anna):
    assert "offer" in text_of(anna, "do you take offers?").lower()
    assert not Offer.objects.exists()


# --- Requests with a condition ----------------------------------------------------------------------------------


@pytest.mark.parametrize("message", ["hold it and make it free 😂", "i'll take it if you throw in a tee for free"])
def test_a_free_piece_is_refused_plainly_and_nothing_held(stock, anna, message):
    say(anna, NIKE_WB)

    text = text_of(anna, message)

    assert "can't" in text
    assert held_by(anna) == set()


def test_a_price_condition_is_an_offer_under_the_owners_rules(stock, anna):
    say(anna, CARHARTT)

    text = text_of(anna, "make it 50 and hold it")

    offer = Offer.objects.get()
    assert (offer.item.sku, offer.amount) == (CARHARTT, Decimal("50"))
    assert held_by(anna) == set()
    assert "$96" in text  # the owner's floor, 80 % of $120


def test_a_price_condition_the_rules_accept_holds_the_piece(stock, anna):
    text_of(anna, "hold the carhartt if you'd do 100")

    assert held_by(anna) == {CARHARTT}
    assert Offer.objects.get().amount == Decimal("100")


def test_a_condition_on_the_piece_that_fails_holds_nothing(stock, anna):
    text = text_of(anna, "hold the burberry trench if it's a size L")

    assert "is a M" in text
    assert held_by(anna) == set()


# --- Several asks in one message, and the last turn -------------------------------------------------------------


def test_two_pieces_by_name_in_one_message_are_both_held(stock, anna):
    say(anna, "hold the carhartt and the harley tee")

    assert held_by(anna) == {CARHARTT, HARLEY}


def test_a_hold_and_a_shop_question(stock, anna, settings):
    settings.SHIPPING_INSTRUCTIONS = "We ship tracked within 2 working days."

    text = text_of(anna, "hold the nike windbreaker and how long does shipping take")

    assert held_by(anna) == {NIKE_WB}
    assert "2 working days" in text


def test_a_release_and_a_hold_instead(stock, anna):
    hold(NIKE_WB, anna)

    say(anna, "cancel the hold on the windbreaker and hold the adidas track jacket instead")

    assert held_by(anna) == {ADIDAS}


def test_the_tee_as_well_after_a_hold_holds_it_too(stock, anna):
    say(anna, f"{CARHARTT} and {HARLEY} still available?")
    say(anna, "hold the jacket")

    say(anna, "the tee as well")

    assert held_by(anna) == {CARHARTT, HARLEY}


def test_the_other_one_is_the_piece_not_just_talked_about(stock, anna):
    say(anna, f"{LEVIS_TRUCKER} or {WRANGLER}?")
    say(anna, "tell me about the levis one")

    text = text_of(anna, "what about the other one")

    assert text.startswith(WRANGLER)


def test_stop_with_a_please_still_stops(stock, anna):
    say(anna, "stop messaging me pls")

    anna.refresh_from_db()
    assert anna.opted_out_at is not None


def test_a_hold_for_another_customers_handle_holds_nothing(stock, anna):
    text = text_of(anna, "hold the nike windbreaker for my friend @ben_buys_vintage")

    assert "only hold pieces for the person" in text
    assert held_by(anna) == set()


def test_a_size_alone_after_a_search_is_the_same_search_in_that_size(stock, anna):
    say(anna, "any pants or jeans?")

    text = text_of(anna, "anything in a 34?")

    assert "VNT-DICK-874-012" in text  # W34
    assert "VNT-LEVI-501-003" not in text  # W32


def test_actually_just_one_of_several_holds_releases_the_others(stock, anna):
    hold(NIKE_WB, anna)
    hold(HARLEY, anna)

    say(anna, "actually just the harley tee")

    assert held_by(anna) == {HARLEY}


def test_nvm_one_hold_keep_the_rest(stock, anna):
    hold(NIKE_WB, anna)
    hold(HARLEY, anna)
    hold(CARHARTT, anna)

    say(anna, "nvm the tee, keep the rest")

    assert held_by(anna) == {NIKE_WB, CARHARTT}


def test_a_hold_with_a_question_about_another_piece_holds_only_the_first(stock, anna):
    text = text_of(anna, "hold the carhartt, also whats the price of the harley tee")

    assert held_by(anna) == {CARHARTT}
    assert "$75" in text


def test_the_total_of_what_i_hold(stock, anna):
    hold(NIKE_WB, anna)
    hold(CARHARTT, anna)

    text = text_of(anna, "how much is everything im holding together")

    assert "$165" in text
    assert held_by(anna) == {NIKE_WB, CARHARTT}


def test_a_price_for_a_named_piece_is_an_offer(stock, anna):
    say(anna, "ill take the carhartt for 60 if thats ok")

    offer = Offer.objects.get()
    assert (offer.item.sku, offer.amount) == (CARHARTT, Decimal("60"))
    assert held_by(anna) == set()


def test_the_price_of_two_pieces_named_in_one_question(stock, anna):
    text = text_of(anna, "how much r the carhartt and the harley tee")

    assert "$120" in text and "$75" in text
    assert held_by(anna) == set()
