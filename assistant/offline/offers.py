"""Offers: "would you take $30 for it?". Only the owner decides; the assistant passes offers on."""

from decimal import Decimal

from assistant import language, wording
from assistant.formatting import item_line, item_lines, money
from assistant.offline.context import Turn
from assistant.results import InvalidAmount, NotFound, NotOpenForOffers, OfferPassedOn, Refused


def offer(turn: Turn) -> str:
    amount = language.offer_amount(turn.text)
    pool = None
    if not turn.mentioned.items and not turn.shown():
        pool = turn.toolbox.holds()
    reference = turn.resolve(turn.text, pool=pool, search_stock=True)
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
    match result := turn.toolbox.make_offer(sku=facts["sku"], amount=amount):
        case OfferPassedOn():
            return wording.offer_passed_on(money(amount), facts["sku"], facts["name"], money(price))
        case NotOpenForOffers():
            return wording.not_open_for_offers(facts["sku"])
        case NotFound() | InvalidAmount() | Refused():
            return wording.could_not_pass_offer(result.message)
