"""The offline assistant: answers every kind of customer message without any AI.

A message is read once into a `Turn` (its text, the items it names or points at). The answer is that of
the intent meant: of the intents of `INTENTS` whose test matches the turn, the first, unless a later one's
examples are clearly nearer to the message (`meaning.in_order_of_meaning`); the next when its handler has none. Handlers live in modules by concern — small talk and shop questions,
browsing and search, item details, holds, orders and payment, offers — act through the `Toolbox`, and
say everything in the words of `assistant.wording`. `FAST_PATH` is the part that also runs before the AI.
"""

from collections.abc import Callable
from dataclasses import dataclass

from assistant import language, wording
from assistant.formatting import money
from assistant.language import find_skus
from assistant.memory import Conversation
from assistant.offline import arrivals, browsing, conditions, details, holds, live, offers, orders, relative, smalltalk
from assistant.offline.context import Turn
from assistant.offline.meaning import in_order_of_meaning
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
    """One thing a customer can mean: its name, its test, what answers it (None: not this one after all, go on
    down the table), examples as customers write them, and the state of the conversation it needs ("" for none)."""

    name: str
    applies: Callable[[Turn], bool]
    answer: Callable[[Turn], str | None]
    examples: tuple[str, ...] = ()
    needs: str = ""


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


# The intents, as data: what each is, how it is recognised, what answers it, examples as customers write them and
# the state it needs ("" for none: then every example must be read as this intent on a new conversation, which
# assistant/tests/test_intent_table.py checks). The order breaks near-ties among the intents that apply (examples
# clearly nearer to the message win, `meaning`), so a question about holds comes before a hold, a condition before a plain offer or hold, and what the last turn
# asked ("yes", "the tee as well") before what the words alone would say.
# Ordering marks pieces sold, so a maybe ("I might buy it later") is not an order: a hold if asked for, else the
# piece's details and how to hold it.
INTENTS: tuple[Intent, ...] = (
    Intent("only a greeting", lambda t: not t.text or (t.greeted and not language.bare(t.text)), smalltalk.greeting,
           ("hi", "heyyy", "hiii 👋")),
    Intent("asks for a person", said(language.wants_human), smalltalk.hand_off,
           ("can i talk to a human", "real person pls")),
    Intent("a claim during a live stream", live.claims_on_a_live, live.claim,
           ("mine!!", "sold", "lot 3", "VNT-LIVE-001"), needs="a stream live now"),
    Intent("size? during a live stream", live.asks_about_the_piece_on_screen, live.about_the_piece_on_screen,
           ("size?", "how much?", "measurements?", "pics?"), needs="a stream live now, a piece on screen"),
    Intent("cancel my order", said(language.wants_order_cancelled), orders.cancel_order,
           ("cancel my order",), needs="an order"),
    Intent("cancel, just after ordering", lambda t: language.says_just_cancel(t.text) and orders.placed_an_order(t), orders.cancel_order,
           ("wait cancel",), needs="an order placed in the last turn"),
    Intent("order status", lambda t: language.asks_order_status(t.text) and not t.mentioned.items, orders.order_status,
           ("where is my order?", "did my order go through?", "whats in my order again")),
    Intent("says they paid", said(language.says_paid), orders.payment_claimed,
           ("i just paid", "sent the money")),
    Intent("send me the link again", lambda t: language.wants_payment_link(t.text) and not t.mentioned.items, orders.payment_link,
           ("can u resend the payment link",)),
    Intent("yes to a counter-offer", lambda t: language.is_yes(t.text) and offers.countered(t), offers.take_counter,
           ("yes", "deal"), needs="a counter-offer in the last turn"),
    Intent("yes to a hold offer", lambda t: language.is_yes(t.text) and holds.offered_to_hold(t), holds.hold_it,
           ("yes please",), needs='"want me to hold it?" in the last turn, one piece in view'),
    Intent("thanks, ok, bye", said(language.is_thanks), smalltalk.thanks,
           ("thank you so much!!", "ok bye")),
    Intent("are you there?", said(language.asks_if_there), smalltalk.still_here,
           ("are you still there?", "anyone there?")),
    Intent("lol, 🔥", said(language.is_reaction), smalltalk.reaction,
           ("lol", "🔥🔥")),
    Intent("are you a bot?", said(language.asks_if_bot), smalltalk.who_am_i,
           ("are you a bot?",)),
    Intent("what's on hold for me?", said(language.asks_about_my_holds), holds.my_holds,
           ("what's on hold for me?", "what do i have on hold rn", "am i holding anything?")),
    Intent("is the carhartt on hold?", said(language.asks_if_held), details.details,
           ("is the carhartt on hold for someone?", "did someone grab the harley tee?")),
    Intent("how long are holds?", said(language.asks_hold_policy), smalltalk.hold_policy,
           ("how long do you hold things?", "how many things can i hold at once", "does holding cost anything?")),
    Intent("about other customers", said(language.asks_about_other_customers), smalltalk.other_customers,
           ("what did the last customer order?",)),
    Intent("do you have it in M?", said(language.asks_other_size), details.other_size,
           ("do you have it in M?",), needs="one piece in view"),
    Intent("am I still in line?", said(language.asks_waitlist_place), holds.places_in_line,
           ("am i still in line?",)),
    Intent("take me off the list", said(language.wants_off_waitlist), holds.leave_line,
           ("take me off the waitlist",)),
    Intent("cancel my hold", said(language.wants_release), holds.release,
           ("cancel my hold", "take the levis off my holds", "can you stop holding the windbreaker")),
    Intent("venmo ok?", lambda t: language.asks_payment_method(t.text) and not t.mentioned.items and not _searches_too(t), smalltalk.payment_methods,
           ("venmo ok?", "can i buy the trucker with venmo?")),
    Intent("hold one, offer on another", conditions.holds_one_and_bids_on_another, conditions.hold_and_bid,
           ("hold the woolrich coat and would u take 40 for the wrangler denim jacket",)),
    Intent("hold it if you'd do $40", conditions.gives_a_condition, conditions.answer,
           ("hold the carhartt if you'd do 100", "hold the harley tee and make it free", "half price on the trench and it's mine")),
    Intent("hmm 42? (after a counter)", lambda t: language.a_number_alone(t.text) is not None and offers.countered(t), offers.another_amount,
           ("hmm 42?",), needs="a counter-offer in the last turn"),
    Intent("an offer", said(language.is_offer), offers.offer,
           ("would you take $30 for the nike windbreaker?",)),
    Intent("buy", lambda t: language.wants_buy(t.text) and not language.is_tentative(t.text), orders.buy,
           ("buy", "ready to pay"), needs="a hold"),
    Intent("might buy", lambda t: language.wants_buy(t.text) and not language.wants_hold(t.text) and not _faq_topic(t), details.details,
           ("i might buy it later",), needs="a piece in view"),
    Intent("actually just the shorts", holds.keeps_only_one, holds.keep_only,
           ("actually just the shorts",), needs="several holds"),
    Intent("let me know if it comes back", said(language.wants_to_hear_back), holds.hear_back,
           ("ok can u let me know if it comes back",), needs="one piece in view, held by someone else"),
    Intent("hold it", said(language.wants_hold), holds.hold,
           ("hold the carhartt", "i'll take the harley tee", "hold the carhartt and the harley tee")),
    Intent("the tee as well (after a hold)", holds.adds_to_the_last_hold, holds.hold_one_more,
           ("the tee as well", "and the patagonia too"), needs="a hold in the last turn"),
    Intent("no, the black one (after a hold)", holds.corrects_the_last_hold, holds.hold_instead,
           ("no wait, the black one",), needs="a hold in the last turn"),
    Intent("never mind", said(language.is_soft_no), holds.soft_no,
           ("never mind", "nvm the sweatshirt")),
    Intent("pics?", said(language.asks_for_photos), details.photos,
           ("pics?",), needs="a piece in view or named"),
    Intent("cheaper than the carhartt?", relative.is_relative, relative.relative,
           ("anything cheaper than the carhartt?", "something longer than the trucker")),
    Intent("search and a shop question", lambda t: bool(_faq_topic(t)) and _searches_too(t), lambda t: browsing.search_and_faq(t, _matched_faq_topic(t)),
           ("any jackets in L? also do you take venmo",)),
    Intent("a shop question", lambda t: bool(_faq_topic(t)), lambda t: smalltalk.faq(t, _matched_faq_topic(t)),
           ("do you ship to canada?", "do you take offers?", "any returns?")),
    Intent("names a piece of a live drop", holds.names_a_live_piece, holds.claim,
           ("the varsity jacket!!",), needs="a drop live now"),
    Intent("names a SKU", lambda t: t.names_skus, details.details,
           ("VNT-NIKE-WB-001", "is VNT-CARH-DJ-002 still available?")),
    Intent("the second one", lambda t: language.ordinal(t.text) is not None and bool(t.shown()), details.details,
           ("the second one",), needs="a listing in view"),
    Intent("the nike one", details.points_at_a_listed_piece, details.details,
           ("the nike one", "the sweatshirt?"), needs="a listing in view"),
    Intent("is it still available?", details.asks_about_an_item, details.details,
           ("is the levi's trucker still around?", "can i see the cortez")),
    Intent("what about my size?", lambda t: language.asks_about_my_size(t.text) and not t.parse().has_filters(), smalltalk.ask_my_size,
           ("anything in my size?",)),
    Intent("any womens?", said(language.mentions_gender), browsing.ungendered_search,
           ("any womens stuff?",)),
    Intent("show me more", said(language.wants_more), browsing.more,
           ("show me more",), needs="a listing in view"),
    Intent("what's new?", said(language.asks_browse), browsing.browse,
           ("what do you have?", "any new drops??")),
    Intent("anything in a 34? (after a search)", browsing.asks_in_another_size, browsing.search_in_another_size,
           ("anything in a 34?", "what about in M"), needs="a search in the last turn"),
    Intent("a search", _is_search, browsing.search,
           ("got any nike jackets in L?", "levis waist 32 under $60", "any jakcets in L?")),
    Intent("a compliment", said(language.pays_a_compliment), smalltalk.compliment,
           ("omg ur page is so cute 😍😍", "love your shop")),
    Intent("hi and nothing else we know", lambda t: t.greeted, smalltalk.greeting,
           ("hey what's the weather",)),
    Intent("not understood", always, smalltalk.not_understood,
           ("what's the weather",)),
)  # fmt: skip

# The deterministic answers that never need AI, read on the whole message (greeting included).
FAST_PATH: tuple[Intent, ...] = (
    Intent("asks for a person", lambda t: language.wants_human(t.full_text), smalltalk.hand_off),
    Intent("new in my size", arrivals.asks_about_new_arrivals, arrivals.new_arrivals,
           ("let me know when new pieces in my size come in", "no suggestions pls")),
    Intent("a claim during a live stream", live.claims_on_a_live, live.claim),
    Intent("size? during a live stream", live.asks_about_the_piece_on_screen, live.about_the_piece_on_screen),
    Intent("cancel my order", lambda t: language.wants_order_cancelled(t.full_text), orders.cancel_order),
    Intent("order status", lambda t: language.asks_order_status(t.full_text) and not find_skus(t.conversation.text), orders.order_status),
    Intent("says they paid", lambda t: language.says_paid(t.full_text), orders.payment_claimed),
    Intent("names a SKU", lambda t: t.names_skus, lambda t: first_answer(INTENTS, t)),
    Intent("a claim in a live drop", holds.claims_in_a_live_drop, lambda t: first_answer(INTENTS, t)),
    Intent("pics of a piece in view", _only_asks_for_photos, details.photos),
)  # fmt: skip


def first_answer(intents: tuple[Intent, ...], turn: Turn) -> str | None:
    """The answer of the intent meant (`meaning.in_order_of_meaning`); when its handler has none after all, the
    next one's."""
    for intent in in_order_of_meaning(intents, turn):
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
