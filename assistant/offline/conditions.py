"""Requests with a condition: "hold it if you'd do $40", "make it 20 and hold it", "half price and it's mine", "hold
the trench if it's an L", "hold it and make it free", "hold it and ill pay next month". A condition on the price is an
offer under the owner's rules (`offers.offer_text`): held only when the rules accept it. A condition on the piece is
checked first: held only when it holds. A condition the shop cannot meet (a free piece, a wait of weeks) is refused in
one plain sentence. Nothing is ever held on a condition that was not met."""

from decimal import Decimal

from assistant import language, wording
from assistant.formatting import item_line
from assistant.offline import holds, offers
from assistant.offline.context import Turn
from assistant.references import describes
from assistant.results import Facts


def gives_a_condition(turn: Turn) -> bool:
    text = turn.text
    return (
        language.asks_for_free(text)
        or language.price_condition(text)
        or language.piece_condition(text) is not None
        or (language.waits_long(text) and language.wants_hold(text))
    )


def answer(turn: Turn) -> str | None:
    """The request answered under its condition; None when the message points at no piece (another intent reads it)."""
    text = turn.text
    pieces = _pieces(turn)
    if not pieces:
        return None
    facts = pieces[0]
    if language.asks_for_free(text):
        return wording.cannot_give_away(item_line({**facts, "status": ""}))
    if language.waits_long(text):
        return wording.cannot_wait_that_long(item_line({**facts, "status": ""}))
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


def holds_one_and_bids_on_another(turn: Turn) -> bool:
    """ "hold the woolrich coat and would u take 40 for the wrangler": a plain hold and an offer, in separate asks."""
    holding, bidding = _holds_and_bids(turn)
    return bool(holding and bidding)


def hold_and_bid(turn: Turn) -> str | None:
    """Each ask answered on its own: the pieces held, then the offer under the owner's rules. None when a hold does
    not name exactly one piece (another intent reads the message)."""
    holding, bidding = _holds_and_bids(turn)
    if len(holding) == 1:
        one = turn.resolve_to_hold(holding[0])
        reference = one if len(one.items) == 1 else None
    else:
        reference = turn.resolve_each(holding, to_hold=True)
    if reference is None:
        return None
    return holds.hold_pieces(turn, reference) + "\n\n" + offers.offer(turn, text=" and ".join(bidding))


def _holds_and_bids(turn: Turn) -> tuple[list[str], list[str]]:
    asks = language.clauses(turn.text)
    # Each ask names its own piece: "make it 20 and hold it" is one request with a condition.
    bidding = [
        ask for ask in asks if (language.is_offer(ask) or language.price_condition(ask)) and describes(turn.parse(ask))
    ]
    holding = [
        ask
        for ask in asks
        if ask not in bidding
        and language.wants_hold(ask)
        and language.offer_amount(ask) is None
        and describes(turn.parse(ask))
    ]
    return holding, bidding


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
