"""Holds: "I'll take it", "hold the second one", "yes" to a hold offer, "cancel my hold", "never mind"; and
claims in a live drop: "mine!!", "VNT-DROP-001", "the varsity jacket!!"."""

from decimal import Decimal

from django.conf import settings

from assistant import language, wording
from assistant.formatting import item_line, item_lines, money, when
from assistant.offline import browsing, details, smalltalk
from assistant.offline.context import Turn
from assistant.references import Reference, describes, fitting
from assistant.results import (
    AlreadyBought,
    ClaimRecorded,
    Facts,
    Held,
    HeldBySomeoneElse,
    HoldLimit,
    HoldOutcome,
    LeftWaitlist,
    NotDroppedYet,
    NotFound,
    Refused,
    Released,
    Sold,
)


def offered_to_hold(turn: Turn) -> bool:
    """Did the shop's last message offer to hold the one item in view ("want me to hold it?"), or just
    release it and the customer clearly takes that back ("wait actually yes", not a plain "ok")?"""
    said = turn.last_reply()
    taken_back = wording.JUST_RELEASED in said and language.takes_back(turn.text)
    return (wording.OFFERED_TO_HOLD in said or taken_back) and len(turn.shown()) == 1


def hold_it(turn: Turn) -> str:
    """ "yes" to "want me to hold it?": the one piece in view."""
    return hold_pieces(turn, turn.resolve("it"))


def hear_back(turn: Turn) -> str:
    """ "let me know if it comes back": the piece in view someone else holds (its line is joined), not the pieces
    proposed in its place."""
    held = [facts for facts in turn.shown() if facts["status"] == "held"]
    return hold_pieces(turn, Reference(items=held)) if len(held) == 1 else hold_it(turn)


def hold(turn: Turn) -> str:
    """ "I'll take it", "hold the levi's", "mine!!" (while a drop is live: its piece, or which one); "hold the carhartt
    and the stussy tee" (each); with what else the message asks answered after it ("… and how long does shipping
    take?", "…, also do u have any levis in 32")."""
    if language.for_someone_else(turn.text):
        return wording.HOLDS_ARE_FOR_YOU
    clauses = language.clauses(turn.text)
    # "hold the cortez, also whats the pit to pit on the puffer": the puffer is asked about, not held
    questions = [
        c for c in clauses if language.asks_details(c) and not language.wants_hold(c) and describes(turn.parse(c))
    ]
    searches = [clause for clause in clauses if language.asks_the_stock(clause)]
    described = [
        clause
        for clause in clauses
        if describes(turn.parse(clause)) and clause not in searches and clause not in questions
    ]
    reference = turn.resolve_each(described, to_hold=True) or turn.resolve_to_hold(
        " ".join(described) if questions and described else turn.text
    )
    text = hold_pieces(turn, reference)
    for question in questions[:2]:
        text += "\n\n" + details.details(turn, question)
    if searches:
        text += "\n\n" + browsing.search(turn, turn.parse(searches[0]))
    topic = language.faq_topic(turn.text)
    if topic is not None and topic != "holds" and not searches:
        text += "\n\n" + smalltalk.faq(turn, topic)
    return text


def keeps_only_one(turn: Turn) -> bool:
    """ "actually just the shorts" while holding several pieces: the shorts kept, the others released."""
    return language.keeps_only(turn.text) and describes(turn.parse()) and len(turn.toolbox.holds()) > 1


def keep_only(turn: Turn) -> str | None:
    holds = turn.toolbox.holds(full=True)
    kept = fitting(holds, turn.parse())
    if not kept or len(kept) == len(holds):
        return None
    kept_skus = _skus(kept)
    return release_all(turn, [facts for facts in holds if facts["sku"] not in kept_skus])


def _held_last_turn(turn: Turn) -> list[Facts]:
    """The customer's holds among the pieces the shop's last reply showed, when that reply held something."""
    if wording.HELD_MARK not in turn.last_reply():
        return []
    shown = {facts["sku"] for facts in turn.shown()}
    return [facts for facts in turn.toolbox.holds(full=True) if facts["sku"] in shown]


def adds_to_the_last_hold(turn: Turn) -> bool:
    """ "the tee as well", "and the patagonia too" right after a hold: that piece held as well."""
    return language.adds_one_more(turn.text) and describes(turn.parse()) and bool(_held_last_turn(turn))


def hold_one_more(turn: Turn) -> str:
    """The piece described among those shown lately and not held yet (else in the whole catalogue)."""
    pool = [facts for facts in turn.shown_lately() if facts["status"] != "held_by_you"]
    reference = turn.resolve(turn.text, pool=pool, own_first=False)
    return hold_pieces(turn, reference)


def corrects_the_last_hold(turn: Turn) -> bool:
    """ "no wait, the black one" right after a hold: that one instead."""
    return language.corrects_the_last(turn.text) and bool(_held_last_turn(turn))


def hold_instead(turn: Turn) -> str | None:
    """The piece the correction describes, in place of the one just held (kept when the new one cannot be had)."""
    last = _held_last_turn(turn)
    reference = turn.resolve(
        turn.text, pool=[facts for facts in turn.shown_lately() if facts["sku"] not in _skus(last)]
    )
    if len(reference.items) != 1:
        return None
    text = hold_pieces(turn, reference)
    if reference.items[0]["sku"] in _skus(turn.toolbox.holds()):
        text = release_all(turn, last) + "\n\n" + text
    return text


def _skus(pieces: list[Facts]) -> set[str]:
    return {facts["sku"] for facts in pieces}


def names_a_live_piece(turn: Turn) -> bool:
    """ "VNT-DROP-001", "the varsity jacket!!", "jacket pls", "the red one" while that piece's drop is live: a
    claim, as "I'll take it" would be. A question about it ("is the varsity jacket still available?") is not."""
    return language.asks_nothing(turn.text) and turn.in_live_drop(turn.text, naming_only=True) is not None


def claims_in_a_live_drop(turn: Turn) -> bool:
    """Would the message claim a piece of a drop live right now ("mine!!", "the varsity jacket!!"), or be asked
    which one? Then no AI answers it: the claim is answered when the drop settles."""
    if language.wants_hold(turn.text):
        return turn.in_live_drop(turn.text) is not None
    return names_a_live_piece(turn)


def claim(turn: Turn) -> str | None:
    """The piece of a live drop the message only names: claimed, or which one when it names several."""
    reference = turn.in_live_drop(turn.text, naming_only=True)
    return None if reference is None else hold_pieces(turn, reference)


def hold_pieces(turn: Turn, reference: Reference) -> str:
    """Hold what the message meant (a claim, for a piece of a live drop), or ask which."""
    if reference.everything:
        return wording.hold_which_of_everything()
    if not reference.items:
        if reference.unknown_skus:
            return wording.not_found(reference.unknown_skus)
        if reference.candidates:
            dropping = {facts["sku"] for facts in turn.live_drop}
            if any(facts["sku"] in dropping for facts in reference.candidates):
                return wording.claim_which_of(item_lines(reference.candidates))
            return wording.hold_which_of(item_lines(reference.candidates))
        return wording.HOLD_WHICH
    targets = reference.items[: settings.MAX_HOLDS_PER_CUSTOMER]
    results = [(facts, turn.toolbox.hold_item(sku=facts["sku"])) for facts in targets]
    held = any(isinstance(result, Held) for _, result in results)
    replies = [hold_reply(turn, result, facts) for facts, result in results]
    replies = [reply for reply in replies if reply]
    if not replies:
        return ""  # only drop claims: each is answered when its drop item is settled
    text = "\n\n".join(replies)
    if held and language.asks_longer_hold(turn.full_text):
        text += wording.no_longer_holds()
    if held:
        text += "\n\n" + wording.when_ready_to_buy()
    return text


def hold_reply(turn: Turn, result: HoldOutcome, facts: Facts) -> str:
    """What a hold_item result tells the customer; `facts` are the item's as they asked for it."""
    match result:
        case Held(extended=True):
            return wording.hold_extended(item_line({**result.item, "status": ""}), when(result.held_until))
        case Held():
            return held_text(result)
        case HeldBySomeoneElse(waitlist_place=int() as place, already_in_line=True):
            return wording.already_in_line(item_line({**result.item, "status": ""}), place)
        case HeldBySomeoneElse(waitlist_place=int() as place):
            line = item_line({**result.item, "status": ""})
            return wording.joined_waitlist(line, place, when(result.available_again_at)) + details.similar(turn, facts)
        case HeldBySomeoneElse():
            return wording.held_by_someone_else(
                item_line({**result.item, "status": ""}), when(result.available_again_at)
            )
        case ClaimRecorded():
            return ""
        case NotDroppedYet():
            return wording.drops_later(item_line({**result.item, "status": ""}), when(result.drops_at))
        case AlreadyBought():
            return wording.already_yours(facts["sku"], facts["name"])
        case Sold():
            return wording.already_sold(facts["sku"], facts["name"]) + details.similar(turn, facts)
        case HoldLimit():
            return wording.hold_limit(len(result.holds), item_lines(result.holds))
        case NotFound() if facts.get("status") == "hidden":
            return wording.not_on_sale(facts["name"])
        case NotFound():
            return wording.not_found([result.sku])
        case Refused():
            return wording.could_not_hold(facts["sku"], result.message)


def held_text(result: Held) -> str:
    """What a successful hold tells the customer."""
    return wording.held(item_line({**result.item, "status": ""}), when(result.held_until), result.hold_hours)


def release(turn: Turn) -> str:
    holds = turn.toolbox.holds()
    if not holds:
        return wording.NOTHING_HELD
    mentioned = turn.mentioned
    if mentioned.unknown_skus and not mentioned.items:
        return wording.not_found(mentioned.unknown_skus)
    # "cancel the tee but keep the jacket", "cancel the windbreaker and hold the adidas instead"
    text = language.without_then_hold(language.without_what_is_kept(turn.text))
    named = fitting(turn.toolbox.holds(full=True), turn.parse(text)) if describes(turn.parse(text)) else []
    if mentioned.items:
        targets = mentioned.items
    elif named:
        targets = named
    elif language.refers_to_several(text) or language.refers_to_everything(text) or "holds" in text or len(holds) == 1:
        targets = holds
    else:
        reference = turn.resolve(text, pool=holds, search_stock=False)
        if not reference.items:
            return wording.release_which(item_lines(holds))
        targets = reference.items
    text = release_all(turn, targets)
    instead = language.then_holds(turn.text)  # "cancel the windbreaker and hold the adidas track jacket instead"
    if instead:
        text += "\n\n" + hold_pieces(turn, turn.resolve_to_hold(instead))
    return text


def release_all(turn: Turn, targets: list[Facts]) -> str:
    released: list[Facts] = []
    refused: list[Facts] = []
    for facts in targets:
        result = turn.toolbox.release_hold(sku=facts["sku"])
        (released if isinstance(result, Released) else refused).append(facts)
    text = ""
    if released:
        text = wording.released([f"{f['sku']} · {f['name']}" for f in released])
    if refused:
        text += ("\n" if text else "") + wording.not_held_by_you([f["sku"] for f in refused])
    return text.strip()


def soft_no(turn: Turn) -> str:
    """ "never mind": releases what the customer holds of the pieces in view, else takes them out of the
    line for the pieces in view they wait for, else nothing to do."""
    meant = turn.parse(language.without_what_is_kept(turn.text))  # "nvm the hoodie, keep the rest"
    named = fitting(turn.toolbox.holds(full=True), meant) if describes(meant) else []
    if named:  # "never mind the sweatshirt": that hold
        return release_all(turn, named)
    in_view_held = [facts for facts in turn.shown() if facts["status"] == "held_by_you"]
    if in_view_held:
        return release_all(turn, in_view_held)
    waited_for = {facts["sku"] for facts in turn.toolbox.waitlist()}
    in_view_waited = [facts["sku"] for facts in turn.shown() if facts["sku"] in waited_for]
    if in_view_waited:
        return leave_line(turn, in_view_waited)
    return wording.NO_PROBLEM


def my_holds(turn: Turn) -> str:
    """ "what's on hold for me?", "is my windbreaker still on hold?": the customer's holds with when each runs out
    (a question: nothing is held or released), and the answer to a shop question asked with it ("… and how do i
    pay?")."""
    holds = turn.toolbox.holds()
    if holds:
        text = wording.own_holds([f"{item_line(facts)} until {when(facts['held_until'])}" for facts in holds])
        if language.asks_how_much(turn.text) and len(holds) > 1:
            text += "\n" + wording.holds_total(money(sum(Decimal(facts["price"]) for facts in holds)))
    else:
        text = wording.NOTHING_HELD
    topic = language.faq_topic(turn.text)
    if topic is not None and topic != "holds":
        text += "\n\n" + smalltalk.faq(turn, topic)
    return text


def places_in_line(turn: Turn) -> str:
    """ "am I still in line?" """
    waiting = turn.toolbox.waitlist()
    if not waiting:
        return wording.NOT_IN_ANY_LINE
    return wording.places_in_line(
        [wording.place_line(item_line({**facts, "status": ""}), facts["place"]) for facts in waiting]
    )


def leave_line(turn: Turn, skus: list[str] | None = None) -> str:
    """ "take me off the list": the lines for the SKUs named (or in view), else every line."""
    if skus is None and turn.mentioned.items:
        skus = [facts["sku"] for facts in turn.mentioned.items]
    result = turn.toolbox.leave_waitlist(skus=skus)
    if not isinstance(result, LeftWaitlist) or not result.left:
        return wording.NOT_IN_ANY_LINE
    return wording.left_lines(result.left)
