"""Offers: "would you take $30 for it?". The owner's rules decide (`orders.offers`); this only says the result."""

from decimal import Decimal

from assistant import language, wording
from assistant.formatting import item_line, item_lines, money, when
from assistant.offline.context import Turn
from assistant.results import (
    HoldLimit,
    InvalidAmount,
    NoCounter,
    NotDroppedYet,
    NotFound,
    NotOpenForOffers,
    OfferAccepted,
    OfferCountered,
    OfferDeclined,
    OfferOutcome,
    OfferPassedOn,
    Refused,
)


def offer(turn: Turn, *, text: str | None = None) -> str:
    """An offer on a piece ("would you take $30 for the nike windbreaker?"); `text`: the ask of the message that
    makes it, when it asks more."""
    text = turn.text if text is None else text
    amount = language.offer_amount(text)
    pool = None
    if not turn.mentioned.items and not turn.shown():
        pool = turn.toolbox.holds()
    reference = turn.resolve(text, pool=pool, search_stock=True)
    if reference.unknown_skus and not reference.items:
        return wording.not_found(reference.unknown_skus)
    if not reference.items:
        # Only pieces one could still buy: an offer on a sold or someone else's piece goes nowhere.
        open_candidates = [facts for facts in reference.candidates if facts["status"] in ("available", "held_by_you")]
        if open_candidates:
            return wording.offer_which_of(item_lines(open_candidates))
        return wording.OFFER_WHICH
    facts = reference.items[0]
    price = Decimal(facts["price"])
    line = item_line({**facts, "status": ""})
    if amount is None:
        return wording.price_is_set(line)
    if amount >= price:
        return wording.no_offer_needed(line)
    return offer_text(turn.toolbox.make_offer(sku=facts["sku"], amount=amount), name=facts["name"])


def offer_text(result: OfferOutcome, *, name: str) -> str:
    """What an offer's outcome tells the customer: only prices the rules produced, or the listed price."""
    match result:
        case OfferAccepted():
            return wording.offer_accepted(
                result.offer["sku"], name, money(result.offer["price"]), when(result.held_until)
            )
        case OfferCountered():
            return wording.offer_countered(
                money(result.offer["offered"]), result.offer["sku"], name, money(result.offer["counter"])
            )
        case OfferDeclined():
            return wording.offer_declined(result.sku, money(result.price))
        case NotOpenForOffers():
            return wording.not_open_for_offers(result.sku)
        case NotDroppedYet():
            return wording.offer_not_dropped_yet(result.item["sku"], when(result.drops_at))
        case OfferPassedOn():
            return wording.offer_passed_on(
                money(result.offer["amount"]), result.offer["sku"], name, money(result.item["price"])
            )
        case HoldLimit() | NoCounter() | NotFound() | InvalidAmount() | Refused():
            return wording.could_not_pass_offer(result.message)


def countered(turn: Turn) -> bool:
    """Did the shop's last message make a counter-offer that is still open?"""
    return wording.COUNTER_YES in turn.last_reply() and bool(turn.toolbox.counter_offers())


def take_counter(turn: Turn) -> str:
    """ "yes" to a counter-offer: the one the last message named, else the newest."""
    said = turn.last_reply()
    counters = turn.toolbox.counter_offers()
    chosen = next((counter for counter in counters if counter["sku"].lower() in said), counters[0])
    return offer_text(turn.toolbox.accept_counter(sku=chosen["sku"]), name=chosen["name"])


def another_amount(turn: Turn) -> str | None:
    """ "hmm 42?" after a counter-offer: a new offer of that amount on the same piece (the owner's rules decide)."""
    amount = language.a_number_alone(turn.text)
    said = turn.last_reply()
    counters = turn.toolbox.counter_offers()
    if amount is None or not counters:
        return None
    chosen = next((counter for counter in counters if counter["sku"].lower() in said), counters[0])
    return offer_text(turn.toolbox.make_offer(sku=chosen["sku"], amount=amount), name=chosen["name"])
