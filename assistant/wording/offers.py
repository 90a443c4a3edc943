"""Offers on a price: passed on to the owner, accepted, countered, declined."""

from django.conf import settings

from assistant.wording.conversation import SKU_HINT


def offer_which_of(lines: str) -> str:
    return "Which piece is your offer for?\n" + lines + '\nSend the SKU and your offer, like "SKU $40".'


OFFER_WHICH = "Which piece is your offer for? Send " + SKU_HINT + ' and your offer, like "SKU $40".'


def price_is_set(line: str) -> str:
    return (
        f"Prices are set by the owner and I can't change them: {line}. If you'd like to make an offer, tell me "
        "the amount."
    )


def no_offer_needed(line: str) -> str:
    return f"Good news: {line}, so no offer needed! Want me to hold it for you?"


def not_open_for_offers(sku: str) -> str:
    return f"Sorry, {sku} isn't available for offers right now."


def could_not_pass_offer(why: str) -> str:
    return "I couldn't pass that offer on: " + why


def offer_passed_on(amount: str, sku: str, name: str, price: str) -> str:
    return (
        f"Thanks! I've passed your offer of {amount} for {sku} · {name} on to the owner, "
        f"who decides on offers and will reply here. Until then the price is {price}, and I can hold it for "
        "you at that price if you like."
    )


# The words the "yes" to a counter-offer is recognised by (the owner's counter notice says them too).
COUNTER_YES = 'say "yes" to have it held'


def offer_accepted(sku: str, name: str, price: str, until: str) -> str:
    return (
        f"Your offer works! {sku} · {name} is on hold for you at {price} until {until}. "
        'Say "buy" when you\'re ready to order.'
    )


def offer_countered(offered: str, sku: str, name: str, counter: str) -> str:
    return (
        f"Thanks for the offer! {offered} is a bit low for {sku} · {name}, but the shop can do {counter}. "
        'Say "yes" to have it held for you at that price.'
    )


def offer_declined(sku: str, price: str) -> str:
    return f"Sorry, the shop can't go that low on {sku}: the price stays {price}. I can hold it for you at that price."


def offer_not_dropped_yet(sku: str, when: str) -> str:
    return f"{sku} is in a drop that starts {when}: offers open once it has dropped."


def offer_briefly(sku: str, price: str) -> str:
    return f"{sku} is on hold for you at {price}."


def counter_briefly(sku: str, counter: str) -> str:
    return f'The shop can do {counter} for {sku}: say "yes" to have it held for you at that price.'


def offer_passed_on_briefly(amount: str, sku: str, price: str) -> str:
    return (
        f"I've passed your offer of {amount} for {sku} on to the owner, who decides on "
        f"offers and will reply here. Until then the price is {price}."
    )


def offers_welcome() -> str:
    """ "do you take offers?" (never the lowest price the shop accepts)."""
    return (
        'Yes, I take offers! Tell me the piece and your price, like "would you take $40 for the Nike windbreaker?" '
        'or "SKU $40", and I\'ll answer right away.'
    )


def cannot_give_away(line: str) -> str:
    """ "hold it and make it free": refused plainly, nothing held."""
    return (
        f"Sorry, I can't give pieces away or throw any in for free, so I haven't held anything. {line}: "
        "if you'd like it at that price (or want to make an offer), just tell me."
    )


def cannot_wait_that_long(line: str) -> str:
    """ "hold it and ill pay next month": refused plainly, nothing held."""
    return (
        f"Sorry, holds last {settings.HOLD_HOURS} hours at most, so I can't keep {line} that long and I haven't "
        "held it. When you're ready to pay, tell me and I'll hold it for you if it's still here."
    )


def condition_not_met(line: str, size: str) -> str:
    """ "hold the trench if it's an L" when it is an M: said, nothing held."""
    return f"{line} is a {size}, so I haven't held it. Want me to look for something in your size instead?"
