"""The offline assistant: answers every kind of customer message without any AI.

A message is read once into a `Turn` (its text, the items it names or points at). The answer is the
first intent of `INTENTS`, read top to bottom as the order of play, whose test matches the turn and
whose handler has an answer. Handlers live in modules by concern — small talk and shop questions,
browsing and search, item details, holds, orders and payment, offers — act through the `Toolbox`, and
say everything in the words of `assistant.wording`. `FAST_PATH` is the part that also runs before the AI.
"""

from collections.abc import Callable
from dataclasses import dataclass

from assistant import language, wording
from assistant.formatting import money
from assistant.language import find_skus
from assistant.memory import Conversation
from assistant.offline import browsing, conditions, details, holds, offers, orders, relative, smalltalk
from assistant.offline.context import Turn
from assistant.results import (
    ClaimRecorded,
    HandedOff,
    Held,
    OfferAccepted,
    OfferCountered,
    OfferPassedOn,
    OrderPlaced,
    Released,
    Result,
)
from assistant.tools import Toolbox


@dataclass(frozen=True)
class Intent:
    name: str
    applies: Callable[[Turn], bool]
    answer: Callable[[Turn], str | None]  # None: not this one after all, go on down the table


def said(detector: Callable[[str], bool]) -> Callable[[Turn], bool]:
    """The intent's test is a phrase detector of `language` on the message (greeting left out)."""
    return lambda turn: detector(turn.text)


def always(turn: Turn) -> bool:
    return True


def _faq_topic(turn: Turn) -> str | None:
    if turn.names_skus:
        return None
    return language.faq_topic(turn.text)


def _matched_faq_topic(turn: Turn) -> str:
    """The topic of a turn its intent found one in (`_faq_topic`)."""
    topic = _faq_topic(turn)
    if topic is None:
        raise ValueError("an FAQ intent matched a turn with no FAQ topic")
    return topic


def _searches_too(turn: Turn) -> bool:
    query = turn.parse()
    return bool(
        (query.brands or query.categories)
        and language.SEARCH_CUE.search(turn.text)
        and not language.refers_definitely(turn.text)
    )


def _is_search(turn: Turn) -> bool:
    query = turn.parse()
    return bool(query.has_filters() or query.cheapest or (query.words and language.SEARCH_CUE.search(turn.text)))


def _only_asks_for_photos(turn: Turn) -> bool:
    """ "pics of the first one?" with nothing else to do: the photo (or its link) is the whole answer."""
    text = turn.text
    return language.asks_for_photos(text) and not (
        language.wants_hold(text) or language.wants_buy(text) or language.is_offer(text) or language.wants_release(text)
    )


# Ordering marks pieces sold, so a maybe ("I might buy it later") is not an order: a hold if asked for, else
# the piece's details and how to hold it.
INTENTS: tuple[Intent, ...] = (
    Intent("only a greeting", lambda t: not t.text or (t.greeted and not language.bare(t.text)), smalltalk.greeting),
    Intent("asks for a person", said(language.wants_human), smalltalk.hand_off),
    Intent("cancel my order", said(language.wants_order_cancelled), orders.cancel_order),
    Intent("cancel, just after ordering", lambda t: language.says_just_cancel(t.text) and orders.placed_an_order(t), orders.cancel_order),
    Intent("order status", lambda t: language.asks_order_status(t.text) and not t.mentioned.items, orders.order_status),
    Intent("says they paid", said(language.says_paid), orders.payment_claimed),
    Intent("send me the link again", lambda t: language.wants_payment_link(t.text) and not t.mentioned.items, orders.payment_link),
    Intent("yes to a counter-offer", lambda t: language.is_yes(t.text) and offers.countered(t), offers.take_counter),
    Intent("yes to a hold offer", lambda t: language.is_yes(t.text) and holds.offered_to_hold(t), holds.hold_it),
    Intent("thanks, ok, bye", said(language.is_thanks), smalltalk.thanks),
    Intent("are you there?", said(language.asks_if_there), smalltalk.still_here),
    Intent("lol, 🔥", said(language.is_reaction), smalltalk.reaction),
    Intent("are you a bot?", said(language.asks_if_bot), smalltalk.who_am_i),
    Intent("what's on hold for me?", said(language.asks_about_my_holds), holds.my_holds),
    Intent("is the carhartt on hold?", said(language.asks_if_held), details.details),
    Intent("how long are holds?", said(language.asks_hold_policy), smalltalk.hold_policy),
    Intent("about other customers", said(language.asks_about_other_customers), smalltalk.other_customers),
    Intent("do you have it in M?", said(language.asks_other_size), details.other_size),
    Intent("am I still in line?", said(language.asks_waitlist_place), holds.places_in_line),
    Intent("take me off the list", said(language.wants_off_waitlist), holds.leave_line),
    Intent("cancel my hold", said(language.wants_release), holds.release),
    Intent("venmo ok?", lambda t: language.asks_payment_method(t.text) and not t.mentioned.items and not _searches_too(t), smalltalk.payment_methods),
    Intent("hold it if you'd do $40", conditions.gives_a_condition, conditions.answer),
    Intent("an offer", said(language.is_offer), offers.offer),
    Intent("buy", lambda t: language.wants_buy(t.text) and not language.is_tentative(t.text), orders.buy),
    Intent("might buy", lambda t: language.wants_buy(t.text) and not language.wants_hold(t.text), details.details),
    Intent("let me know if it comes back", said(language.wants_to_hear_back), holds.hold_it),
    Intent("hold it", said(language.wants_hold), holds.hold),
    Intent("the tee as well (after a hold)", holds.adds_to_the_last_hold, holds.hold_one_more),
    Intent("no, the black one (after a hold)", holds.corrects_the_last_hold, holds.hold_instead),
    Intent("never mind", said(language.is_soft_no), holds.soft_no),
    Intent("pics?", said(language.asks_for_photos), details.photos),
    Intent("cheaper than the carhartt?", relative.is_relative, relative.relative),
    Intent("search and a shop question", lambda t: bool(_faq_topic(t)) and _searches_too(t), lambda t: browsing.search_and_faq(t, _matched_faq_topic(t))),
    Intent("a shop question", lambda t: bool(_faq_topic(t)), lambda t: smalltalk.faq(t, _matched_faq_topic(t))),
    Intent("names a piece of a live drop", holds.names_a_live_piece, holds.claim),
    Intent("names a SKU", lambda t: t.names_skus, details.details),
    Intent("the second one", lambda t: language.ordinal(t.text) is not None and bool(t.shown()), details.details),
    Intent("the nike one", details.points_at_a_listed_piece, details.details),
    Intent("is it still available?", details.asks_about_an_item, details.details),
    Intent("what about my size?", lambda t: language.asks_about_my_size(t.text) and not t.parse().has_filters(), smalltalk.ask_my_size),
    Intent("any womens?", said(language.mentions_gender), browsing.ungendered_search),
    Intent("show me more", said(language.wants_more), browsing.more),
    Intent("what's new?", said(language.asks_browse), browsing.browse),
    Intent("a search", _is_search, browsing.search),
    Intent("hi and nothing else we know", lambda t: t.greeted, smalltalk.greeting),
    Intent("not understood", always, smalltalk.not_understood),
)  # fmt: skip

# The deterministic answers that never need AI, read on the whole message (greeting included).
FAST_PATH: tuple[Intent, ...] = (
    Intent("asks for a person", lambda t: language.wants_human(t.full_text), smalltalk.hand_off),
    Intent("cancel my order", lambda t: language.wants_order_cancelled(t.full_text), orders.cancel_order),
    Intent("order status", lambda t: language.asks_order_status(t.full_text) and not find_skus(t.conversation.text), orders.order_status),
    Intent("says they paid", lambda t: language.says_paid(t.full_text), orders.payment_claimed),
    Intent("names a SKU", lambda t: t.names_skus, lambda t: first_answer(INTENTS, t)),
    Intent("a claim in a live drop", holds.claims_in_a_live_drop, lambda t: first_answer(INTENTS, t)),
    Intent("pics of a piece in view", _only_asks_for_photos, details.photos),
)  # fmt: skip


def first_answer(intents: tuple[Intent, ...], turn: Turn) -> str | None:
    for intent in intents:
        if intent.applies(turn):
            answer = intent.answer(turn)
            if answer is not None:
                return answer
    return None


class OfflineAssistant:
    def __init__(self, conversation: Conversation, toolbox: Toolbox) -> None:
        self.turn = Turn(conversation, toolbox)

    def fast_path(self) -> str | None:
        """The answer when the message is one the fast path takes (a person, order status, SKUs, drop claims), else
        None."""
        return first_answer(FAST_PATH, self.turn)

    def reply(self) -> str:
        answer = first_answer(INTENTS, self.turn)
        assert answer is not None, "the last intent always answers"
        return answer


def summarize_actions(offline: OfflineAssistant, actions: list[Result]) -> str:
    """A plain account of what was done this turn, for when the AI's own words cannot be used."""
    parts: list[str] = []
    for result in actions:
        match result:
            case HandedOff():
                return wording.HANDOFF
            case Held():
                parts.append(holds.held_text(result))
            case Released():
                parts.append(wording.released_one(result.item["sku"], result.item["name"]))
            case OrderPlaced():
                parts.append(orders.order_placed_text(result.order))
            case OfferAccepted():
                parts.append(wording.offer_briefly(result.offer["sku"], money(result.offer["price"])))
            case OfferCountered():
                parts.append(wording.counter_briefly(result.offer["sku"], money(result.offer["counter"])))
            case OfferPassedOn():
                parts.append(
                    wording.offer_passed_on_briefly(
                        money(result.offer["amount"]), result.offer["sku"], money(result.item["price"])
                    )
                )
    kinds = {type(result) for result in actions}
    if Held in kinds and OrderPlaced not in kinds:
        parts.append(wording.when_ready_to_buy())
    if not parts and ClaimRecorded in kinds:
        return ""  # only drop claims: each is answered when its drop item is settled
    return "\n\n".join(parts) if parts else offline.reply()
