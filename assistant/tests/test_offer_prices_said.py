"""Issue 10: "Neither the offline nor the AI assistant ever states a price these rules did not produce: the reply
guard knows accepted and countered offer prices and refuses any other." The holes found checking that claim: the
customer holding a piece at an accepted offer was still quoted its list price; the guard let an offer price stand
next to another piece's name, discount words pass on any standing offer, and an order total pass as a piece's
price."""

from decimal import Decimal

import pytest

from assistant.guard import problem_with
from assistant.tests.assistant_support import text_of
from inventory.services import hide_item
from orders.offers import record_offer
from orders.services import place_order

NIKE = "VNT-NIKE-WB-001"  # $45, floor $36
LEVIS = "VNT-LEVI-501-003"  # "Levi's 501 Jeans", $58


def guard(reply: str, customer, **sets) -> str | None:
    """The guard as the AI path calls it, with the sets the tool results of the turn would have filled."""
    return problem_with(
        reply,
        customer=customer,
        allowed_amounts=sets.get("allowed_amounts", set()),
        known_prices=sets.get("known_prices", {Decimal("45.00"), Decimal("58.00")}),
        instructions="",
        prices_by_name=sets.get(
            "prices_by_name", {"Vintage Nike Windbreaker": Decimal("45.00"), "Levi's 501 Jeans": Decimal("58.00")}
        ),
    )


def test_the_customer_holding_a_piece_at_an_accepted_offer_is_quoted_that_price_and_others_the_list_price(
    stock, anna, ben
):
    text_of(anna, NIKE)
    assert text_of(anna, "would you take $40?").startswith(f"Your offer works! {NIKE} · Vintage Nike Windbreaker is")

    asked_again = text_of(anna, NIKE)
    asked_how_much = text_of(anna, "how much is it?")
    searched = text_of(anna, "got any nike jackets?")

    assert asked_again.splitlines()[0] == f"{NIKE} · Vintage Nike Windbreaker · L · $40 (held for you)"
    assert asked_how_much.splitlines()[0] == f"{NIKE} · Vintage Nike Windbreaker · L · $40 (held for you)"
    assert "$45" not in asked_again + asked_how_much + searched
    assert text_of(ben, NIKE).splitlines()[0].startswith(f"{NIKE} · Vintage Nike Windbreaker · L · $45")
    assert place_order(customer=anna).total == Decimal("40.00")


def test_the_guard_holds_a_piece_held_at_an_accepted_offer_to_that_price_for_its_customer(stock, anna, ben):
    record_offer(customer=anna, sku=NIKE, amount="40")

    assert guard(f"{NIKE} is on hold for you at $40.", anna) is None
    assert guard(f"{NIKE} is on hold for you at $45.", anna) == f"quotes 45.0 next to {NIKE}"
    assert guard("The Vintage Nike Windbreaker is yours at $45.", anna, prices_by_name={}) is not None
    assert guard(f"{NIKE} is $45.", ben) is None
    assert guard(f"{NIKE} is $40.", ben) == f"quotes 40.0 next to {NIKE}"


def test_the_guard_refuses_an_offer_price_next_to_another_pieces_name(stock, anna):
    record_offer(customer=anna, sku=NIKE, amount="30")  # countered at $36

    assert guard("The Vintage Nike Windbreaker can be yours for $36.", anna) is None
    assert guard("The Levi's 501 Jeans are $36 for you.", anna) == ("quotes 36.0 next to an item that costs 58.00")


@pytest.mark.parametrize(
    "reply",
    [
        "Sure, I can give you 20% off the Levi's!",
        "Deal! I'll let you have the jeans for less.",
        f"It's a deal: 10% off {LEVIS}.",
    ],
)
def test_with_an_offer_standing_discount_words_still_need_that_offers_price(stock, anna, reply):
    record_offer(customer=anna, sku=NIKE, amount="30")  # countered at $36

    assert guard(reply, anna) == "sounds like it grants a discount"
    assert guard(f"It's a deal at $36 for {NIKE}: say yes to have it held.", anna) is None


def test_an_order_total_does_not_pass_as_a_pieces_price(stock, anna):
    record_offer(customer=anna, sku=LEVIS, amount="50")  # accepted and held at $50
    order = place_order(customer=anna)
    totals = {"allowed_amounts": {Decimal("50.00")}}

    assert guard(f"Your order #{order.pk} comes to $50.", anna, **totals) is None
    assert guard(f"Order #{order.pk}: {LEVIS} · Levi's 501 Jeans · $50, total $50.", anna, **totals) is None
    assert guard(f"{NIKE} is $50 for you.", anna, **totals) == f"quotes 50.0 next to {NIKE}"


def test_a_counter_offer_on_a_piece_hidden_since_does_not_break_the_guard(stock, anna):
    record_offer(customer=anna, sku=NIKE, amount="30")  # countered at $36
    hide_item(sku=NIKE)

    assert guard("The Levi's 501 Jeans are $58.", anna) is None


def test_a_lowball_declined_while_holding_at_an_offer_says_the_price_of_that_hold(stock, anna):
    text_of(anna, NIKE)
    text_of(anna, "would you take $30?")  # countered at $36
    assert text_of(anna, "would you take $40?").startswith(f"Your offer works! {NIKE} · Vintage Nike Windbreaker is")

    declined = text_of(anna, "would you take $30?")

    assert "$40" in declined and "$45" not in declined
    assert place_order(customer=anna).total == Decimal("40.00")
