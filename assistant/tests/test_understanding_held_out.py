"""What the held-out evaluation sets taught the offline assistant (issue 25), each checked on the demo stock, turn by
turn, with no AI: who is writing is a question, not a hand-off; a compliment is thanked; a wait of weeks is a
condition the shop cannot meet; a model number in the plural names the piece; "drop the X and hold the Y instead";
a shipping question that mentions paying is a question; a piece named with the wrong garment word; a kind said only
in the description; the piece asked for in another size is named, not listed."""

import pytest

from assistant.tests.assistant_support import hold, status_of, text_of
from conversations.models import Customer
from inventory.models import Item
from orders.models import Offer
from orders.services import place_order

HARLEY = "VNT-HARL-TEE-008"
LEVIS_501 = "VNT-LEVI-501-003"
DICKIES = "VNT-DICK-874-012"
CHAMPION = "VNT-CHAM-RW-006"
NIKE_SWEATSHIRT = "VNT-NIKE-SWSH-014"
RUGBY = "VNT-TOMMY-RUG-011"
WRANGLER = "VNT-WRNG-TRUC-010"


@pytest.fixture(autouse=True)
def offline(settings):
    settings.OPENAI_API_KEY = ""
    settings.HOLD_HOURS = 24
    settings.MAX_HOLDS_PER_CUSTOMER = 3
    settings.OFFER_FLOOR_PERCENT = 80


def held_by(customer: Customer) -> set[str]:
    return set(Item.objects.filter(held_by=customer, status=Item.Status.RESERVED).values_list("sku", flat=True))


@pytest.mark.parametrize("message", ["r u a bot or a real person lol", "is this a real person?", "are you a bot?"])
def test_asking_who_is_writing_is_answered_honestly_and_not_handed_off(stock, anna, message):
    text = text_of(anna, message)

    assert "automated assistant" in text
    anna.refresh_from_db()
    assert not anna.is_bot_paused()


def test_asking_to_talk_to_a_real_person_still_hands_off(stock, anna):
    text_of(anna, "are you a bot? i want to talk to a real person")

    anna.refresh_from_db()
    assert anna.is_bot_paused()


@pytest.mark.parametrize("message", ["omg ur page is so cute 😍😍", "love your shop", "your stuff is fire"])
def test_a_compliment_is_thanked(stock, anna, message):
    text = text_of(anna, message)

    assert text.startswith("Aw, thank you so much!")


@pytest.mark.parametrize(
    "message",
    ["hold the dickies and ill pay u next month", "can u hold the dickies for 2 weeks", "hold the dickies til payday"],
)
def test_a_wait_of_weeks_is_refused_plainly_and_nothing_is_held(stock, anna, message):
    text = text_of(anna, message)

    assert "holds last 24 hours at most" in text
    assert "I haven't held it" in text
    assert held_by(anna) == set()


def test_a_wait_of_a_day_is_still_held_and_the_limit_said(stock, anna):
    text = text_of(anna, "hold the dickies until tomorrow")

    assert held_by(anna) == {DICKIES}
    assert "Holds last 24 hours at most" in text


def test_a_model_number_in_the_plural_names_the_piece(stock, anna):
    text_of(anna, "any jeans?")

    text = text_of(anna, "would u do 30 on the 501s?")

    offer = Offer.objects.get(customer=anna)
    assert (offer.item.sku, offer.amount, offer.status) == (LEVIS_501, 30, Offer.Status.COUNTERED)
    assert "$46.40" in text  # the floor: 80 % of $58


def test_drop_one_hold_and_hold_another_instead(stock, anna):
    hold(HARLEY, anna)

    text_of(anna, "drop the harley tee and hold the champion sweatshirt instead")

    assert held_by(anna) == {CHAMPION}
    assert status_of(HARLEY) == ("available", None)


@pytest.mark.parametrize("message", ["drop the link again pls", "when is the next drop"])
def test_drop_about_a_link_or_a_drop_lets_go_of_nothing(stock, anna, message):
    hold(HARLEY, anna)

    text_of(anna, message)

    assert held_by(anna) == {HARLEY}


def test_a_shipping_question_that_mentions_paying_is_answered_not_ordered(stock, anna):
    hold(HARLEY, anna)

    text = text_of(anna, "how fast does shipping take once i pay")

    assert "ship" in text.lower()
    assert held_by(anna) == {HARLEY}
    assert not anna.orders.exists()


def test_a_sold_piece_named_with_another_garment_word_is_said_to_be_sold(stock, anna, ben):
    hold(RUGBY, ben)
    place_order(customer=ben)

    text = text_of(anna, "is the rugby tee still up for grabs")

    assert "sold" in text.lower()
    assert "which one" not in text.lower()


def test_the_piece_asked_for_in_another_size_is_named_without_its_sku(stock, anna):
    text_of(anna, "how much is the nike swoosh sweatshirt")

    text = text_of(anna, "do u have the same but in L?")

    assert NIKE_SWEATSHIRT not in text


def test_a_hold_and_an_offer_on_another_piece_are_each_answered(stock, anna):
    text = text_of(anna, "hold the champion sweatshirt and would u take 40 for the wrangler trucker")

    assert held_by(anna) == {CHAMPION, WRANGLER}
    offer = Offer.objects.get(customer=anna)
    assert (offer.item.sku, offer.amount, offer.status) == (WRANGLER, 40, Offer.Status.ACCEPTED)
    assert "Your offer works!" in text


def test_make_it_20_and_hold_it_stays_one_request_with_a_condition(stock, anna):
    text_of(anna, "VNT-HARL-TEE-008 still available?")

    text_of(anna, "make it 20 and hold it")

    assert held_by(anna) == set()
    assert Offer.objects.get(customer=anna).item.sku == HARLEY
