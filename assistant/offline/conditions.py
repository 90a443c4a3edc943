"""Requests with a condition: "hold it if you'd do $40", "make it 20 and hold it", "half price and it's mine", "hold
the trench if it's an L", "hold it and make it free". A condition on the price is an offer under the owner's rules
(`offers.offer_text`): held only when the rules accept it. A condition on the piece is checked first: held only when
it holds. A condition the shop cannot meet (a free piece) is refused in one plain sentence. Nothing is ever held on
a condition that was not met."""

from decimal import Decimal

from assistant import language, wording
from assistant.formatting import item_line
from assistant.offline import holds, offers
from assistant.offline.context import Turn
from assistant.results import Facts


def gives_a_condition(turn: Turn) -> bool:
    text = turn.text
    return language.asks_for_free(text) or language.price_condition(text) or language.piece_condition(text) is not None


def answer(turn: Turn) -> str | None:
    """The request answered under its condition; None when the message points at no piece (another intent reads it)."""
    text = turn.text
    pieces = _pieces(turn)
    if not pieces:
        return None
    facts = pieces[0]
    if language.asks_for_free(text):
        return wording.cannot_give_away(item_line({**facts, "status": ""}))
    condition = language.piece_condition(text)
    if condition is not None:
        wanted = turn.parse(condition)
        if wanted.sizes and facts["size"] not in wanted.sizes and not _fits_waist(facts, wanted.sizes):
            return wording.condition_not_met(item_line({**facts, "status": ""}), facts["size"])
        if wanted.waist and not _fits_waist(facts, (str(wanted.waist),)):
            return wording.condition_not_met(item_line({**facts, "status": ""}), facts["size"])
        if not language.price_condition(text):
            return holds.hold_pieces(turn, turn.resolve(turn.text, pool=[facts]))
    amount = _amount(text, facts)
    if amount is None:
        return None
    if amount >= Decimal(facts["price"]):
        return holds.hold_pieces(turn, turn.resolve(turn.text, pool=[facts]))
    return offers.offer_text(turn.toolbox.make_offer(sku=facts["sku"], amount=amount), name=facts["name"])


def _pieces(turn: Turn) -> list[Facts]:
    """The piece the request is about: named, described (without the condition's own words) or the one in view."""
    text = language.without_condition(turn.text)
    reference = turn.resolve(text, own_first=False)
    return reference.items[:1]


def _amount(text: str, facts: Facts) -> Decimal | None:
    if language.asks_half_price(text):
        return (Decimal(facts["price"]) / 2).quantize(Decimal("1"))
    return language.make_it_amount(text) or language.offer_amount(text)


def _fits_waist(facts: Facts, sizes: tuple[str, ...]) -> bool:
    label = facts["size"].upper()
    return any(f"W{size}" in label.replace(" ", "") for size in sizes if size.isdigit())
