"""What kind of message a short, misspelled customer DM is. Pure functions of the text: no database.

Each check takes the normalised text with its shorthand spelled out (`text.normalise`, then
`text.spelled_out`). They are deliberately plain regular expressions: cheap, predictable and easy to
extend with the phrases real customers use.
"""

import re
from decimal import Decimal, InvalidOperation

from assistant.language import patterns, turn_patterns
from assistant.language.patterns import (
    GENDER_WORD,
    GREETING,
    LIKING_EMOJI,
    MONEY,
    OFFER_NUMBER,
    ORDINALS,
    PAYING_WITH,
    PAYMENT_METHOD_NAMES,
    SEARCH_CUE,
    START_MESSAGES,
    STOP_MESSAGES,
)
from assistant.language.text import bare

# Said around a STOP without changing it: "stop messaging me pls", "unsubscribe now thanks".
_POLITE_ENDS = re.compile(r"(?:\s+(?:please|pls|plz|thanks|thank you|thx|ty|now|asap|ok|okay))+$")


def is_stop(text: str) -> bool:
    plain = bare(text)
    return plain in STOP_MESSAGES or _POLITE_ENDS.sub("", plain) in STOP_MESSAGES


def is_start(text: str) -> bool:
    return bare(text) in START_MESSAGES


def _has(pattern: str, text: str) -> bool:
    return re.search(pattern, text) is not None


def wants_human(text: str) -> bool:
    """ "can i talk to a human": but "r u a bot or a real person" only asks who is writing."""
    if asks_if_bot(text) and not _has(patterns.ASKS_TO_TALK, text):
        return False
    return _has(patterns.WANTS_HUMAN, text)


def asks_order_status(text: str) -> bool:
    return _has(patterns.ASKS_ORDER_STATUS, text)


def says_paid(text: str) -> bool:
    """ "paid!", "sent it", "sent the money", "did you get my payment?": the customer says they paid; only staff can confirm it."""
    return _has(patterns.SAYS_PAID, text)


def without_greeting(text: str) -> tuple[bool, str]:
    """(greeted, the rest of the message)."""
    match = GREETING.match(text)
    if match is None:
        return False, text
    return True, text[match.end() :].strip()


def is_thanks(text: str) -> bool:
    return _has(patterns.IS_THANKS, bare(text) if bare(text) else text)


def says_thanks(text: str) -> bool:
    return _has(patterns.SAYS_THANKS, text)


def says_bye(text: str) -> bool:
    return _has(patterns.SAYS_BYE, text) and not says_thanks(text)


def asks_if_there(text: str) -> bool:
    """ "u there?", "anyone there??": checking the shop is listening."""
    return _has(patterns.ASKS_IF_THERE, text)


def is_reaction(text: str) -> bool:
    """ "lol", "🔥🔥", "omg": a reaction, not a request."""
    words = bare(text)
    if not words:
        return bool(text.strip())
    return _has(patterns.IS_REACTION, words)


def pays_a_compliment(text: str) -> bool:
    return _has(patterns.PAYS_A_COMPLIMENT, text)


def likes_it(text: str) -> bool:
    return LIKING_EMOJI.search(text) is not None or _has(patterns.LIKES_IT, text)


def asks_if_bot(text: str) -> bool:
    return _has(patterns.ASKS_IF_BOT, text)


def wants_release(text: str) -> bool:
    return _has(patterns.WANTS_RELEASE, text)


def wants_payment_link(text: str) -> bool:
    """ "send me the link again", "the link expired", "payment link?": the Stripe link for their order."""
    return _has(patterns.PAYMENT_LINK, text) or (_has(patterns.LINK_WORD, text) and _has(patterns.LINK_TROUBLE, text))


def wants_order_cancelled(text: str) -> bool:
    """ "cancel my order", "cancel order #12", "i want to cancel the order": the order, not a hold."""
    return _has(patterns.WANTS_ORDER_CANCELLED, text)


def says_just_cancel(text: str) -> bool:
    """A bare "cancel" ("cancel it", "cancel pls", "actually cancel"): what it cancels depends on what was last said."""
    return _has(patterns.SAYS_JUST_CANCEL, text)


def is_soft_no(text: str) -> bool:
    """ "never mind", "not interested": release only what was just being talked about."""
    return _has(patterns.IS_SOFT_NO, text)


def wants_buy(text: str) -> bool:
    return _has(patterns.WANTS_BUY, text)


def is_tentative(text: str) -> bool:
    """ "should I buy the levis?", "I might buy it later", "did anyone buy the trucker?": talk about buying, not an order."""
    return _has(patterns.IS_TENTATIVE, text)


def wants_hold(text: str) -> bool:
    return _has(patterns.WANTS_HOLD, text)


def asks_longer_hold(text: str) -> bool:
    """ "hold it til friday", "for a week": longer than a hold can last."""
    return _has(patterns.ASKS_LONGER_HOLD, text)


def asks_hold_policy(text: str) -> bool:
    return _has(patterns.ASKS_HOLD_POLICY, text)


def asks_about_my_holds(text: str) -> bool:
    """ "what's on hold for me?", "am i holding anything?", "is my nike windbreaker still on hold?": a question about the
    customer's own holds, never a request to hold."""
    return _has(patterns.ASKS_ABOUT_MY_HOLDS, text)


def asks_order_contents(text: str) -> bool:
    return _has(patterns.ASKS_ORDER_CONTENTS, text)


def refers_to_the_other(text: str) -> bool:
    return _has(patterns.REFERS_TO_THE_OTHER, text)


def make_it_amount(text: str) -> Decimal | None:
    """ "make it 20 and hold it" → 20."""
    return _amount(re.search(turn_patterns.MAKE_IT_AMOUNT, text))


def for_someone_else(text: str) -> bool:
    return _has(turn_patterns.FOR_SOMEONE_ELSE, text)


def size_asked_alone(text: str) -> str | None:
    """The size of "anything in a 34?" / "what about in M" (a follow-up of a search), or None."""
    match = re.search(turn_patterns.SIZE_ASKED_ALONE, text)
    return match.group("size") if match else None


def keeps_only(text: str) -> bool:
    """ "actually just the shorts": of the customer's holds, keep the one named."""
    return _has(turn_patterns.KEEPS_ONLY, text)


def a_number_alone(text: str) -> Decimal | None:
    """ "hmm 42?": a bare amount (after a counter-offer, a new offer)."""
    return _amount(re.search(turn_patterns.A_NUMBER_ALONE, text))


def clauses(text: str) -> list[str]:
    """The asks of a message, split where one ends and the next begins ("hold the carhartt and the stussy tee")."""
    return [part for part in re.split(turn_patterns.CLAUSE_BREAK, text) if part.strip()]


def then_holds(text: str) -> str | None:
    """What a release asks to hold instead ("cancel the windbreaker and hold the adidas instead" → "hold the adidas
    instead"), or None."""
    match = re.search(turn_patterns.THEN_HOLDS, text)
    return match.group("rest") if match else None


def without_then_hold(text: str) -> str:
    match = re.search(turn_patterns.THEN_HOLDS, text)
    return text[: match.start()] if match else text


def asks_the_stock(text: str) -> bool:
    """ "do u have any levis in 32": a search of its own inside a longer message."""
    return _has(turn_patterns.ASKS_THE_STOCK, text)


def asks_for_free(text: str) -> bool:
    return _has(turn_patterns.ASKS_FOR_FREE, text)


def waits_long(text: str) -> bool:
    """ "hold it and ill pay u next month": a wait longer than any hold, a condition the shop cannot meet."""
    return _has(turn_patterns.WAITS_LONG, text)


def price_condition(text: str) -> bool:
    return _has(turn_patterns.PRICE_CONDITION, text)


def asks_half_price(text: str) -> bool:
    return _has(turn_patterns.ASKS_HALF_PRICE, text)


def piece_condition(text: str) -> str | None:
    """The words of a condition on the piece itself ("hold it if it's a size L" → "a size l"), or None."""
    match = re.search(turn_patterns.PIECE_CONDITION, text)
    return match.group("condition") if match else None


def without_condition(text: str) -> str:
    return re.sub(turn_patterns.CONDITION_CLAUSE, " ", text)


def adds_one_more(text: str) -> bool:
    return _has(turn_patterns.ADDS_ONE_MORE, text)


def corrects_the_last(text: str) -> bool:
    return _has(turn_patterns.CORRECTS_THE_LAST, text)


def wants_to_hear_back(text: str) -> bool:
    return _has(turn_patterns.WANTS_TO_HEAR_BACK, text)


def without_what_is_kept(text: str) -> str:
    """ "cancel the hold on the tee but keep the jacket" → "cancel the hold on the tee": what is kept is no target."""
    return re.split(turn_patterns.BUT_KEEP, text, maxsplit=1)[0]


def refers_to_own_holds(text: str) -> bool:
    """ "the one i'm holding", "my hold": the customer's own held pieces."""
    return _has(patterns.REFERS_TO_OWN_HOLDS, text)


def asks_how_much(text: str) -> bool:
    return _has(patterns.ASKS_HOW_MUCH, text)


def asks_if_held(text: str) -> bool:
    """ "is the carhartt on hold for someone?", "did someone grab it?": a question about a piece, never a hold."""
    return _has(patterns.ASKS_IF_HELD, text)


def is_offer(text: str) -> bool:
    return _has(patterns.IS_OFFER, text)


def offer_amount(text: str) -> Decimal | None:
    """The amount in an offer: "$30", "30 bucks", "would you take 30"."""
    return _amount(MONEY.search(text) or OFFER_NUMBER.search(text))


def _amount(match: re.Match[str] | None) -> Decimal | None:
    """The amount a pattern found (its first group that matched), if above zero."""
    if match is None:
        return None
    try:
        amount = Decimal(next(group for group in match.groups() if group))
    except (InvalidOperation, StopIteration):
        return None
    return amount if amount > 0 else None


def asks_details(text: str) -> bool:
    return _has(patterns.ASKS_DETAILS, text)


def ordinal(text: str) -> int | None:
    """Which of the items just shown: "the second one" → 1, "#3" → 2, "the last one" → -1."""
    match = re.search(patterns.ORDINAL_WORD, text)
    if match:
        return ORDINALS[match.group(1)]
    match = re.search(patterns.ORDINAL_NUMBER, text)
    if match:
        return int(match.group(1)) - 1
    match = re.search(patterns.ORDINAL_ALONE, text.strip(" ?!."))
    if match and len(text.split()) <= 3:
        return int(match.group(1)) - 1
    return None


def asks_about_other_customers(text: str) -> bool:
    """ "what did the last customer buy?", "show me all customers' orders": never answered, never acted on."""
    return _has(patterns.ASKS_ABOUT_OTHER_CUSTOMERS, text)


def refers_to_several(text: str) -> bool:
    return _has(patterns.REFERS_TO_SEVERAL, text)


def refers_to_everything(text: str) -> bool:
    return _has(patterns.REFERS_TO_EVERYTHING, text)


def refers_definitely(text: str) -> bool:
    """ "the jacket", "that one", "it": the customer means something already in the conversation."""
    return _has(patterns.REFERS_DEFINITELY, text)


def points_at_one(text: str) -> bool:
    """ "the nike one", "that black one": one of the pieces just shown, by description."""
    return _has(patterns.POINTS_AT_ONE, text)


def refers_to_it(text: str) -> bool:
    return _has(patterns.REFERS_TO_IT, text)


def asks_browse(text: str) -> bool:
    return _has(patterns.ASKS_BROWSE, text)


def asks_nothing(text: str) -> bool:
    """ "VNT-DROP-001", "the varsity jacket!!", "jacket pls": no question and no words of a search, a detail,
    browsing, photos, an offer or a change of mind. All such a message says is the piece it names (while that
    piece's drop is live, it claims it)."""
    return not (
        SEARCH_CUE.search(text)
        or asks_details(text)
        or asks_browse(text)
        or wants_more(text)
        or is_tentative(text)
        or asks_for_photos(text)
        or is_offer(text)
        or wants_release(text)
        or is_soft_no(text)
    )


def faq_topic(text: str) -> str | None:
    if asks_hold_policy(text):
        return "holds"
    if _has(patterns.FAQ_AUTHENTICITY, text):
        return "authenticity"
    if _has(patterns.FAQ_OFFERS, text):
        return "offers"
    if _has(patterns.FAQ_RETURNS, text):
        return "returns"
    if _has(patterns.FAQ_SHIPPING, text):
        return "shipping"
    if _has(patterns.FAQ_PAYMENT, text):
        return "payment"
    if _has(patterns.FAQ_SIZING, text):
        return "sizing"
    return None


def payment_method_named(text: str) -> str | None:
    """The way to pay a message asks about ("venmo ok?" → "Venmo"), or None."""
    for pattern, name in PAYMENT_METHOD_NAMES.items():
        if _has(rf"\b(?:{pattern})\b", text):
            return name
    return None


def asks_payment_method(text: str) -> bool:
    """ "venmo ok?", "can I pay with cashapp?", "do you take card?": a question about a way to pay, not an
    order (a "buy" or a hold in the same message, without the paying part, is still that)."""
    if payment_method_named(text) is None:
        return False
    if not _has(patterns.ASKS_PAYMENT_METHOD, text):
        return False
    if _has(patterns.ASKS_IF_I_CAN, text):
        return True  # "can i buy the trucker with venmo?": the way to pay is the question
    rest = PAYING_WITH.sub(" ", text)
    return not (wants_buy(rest) or wants_hold(rest))


def is_yes(text: str) -> bool:
    return _has(patterns.IS_YES, bare(text) if bare(text) else text)


def takes_back(text: str) -> bool:
    """ "wait actually yes": undoing a "never mind", which a plain "ok" is not."""
    return _has(patterns.TAKES_BACK, text)


def asks_for_photos(text: str) -> bool:
    return _has(patterns.ASKS_FOR_PHOTOS, text)


def asks_other_size(text: str) -> bool:
    """ "do you have it in M?", "can i get this in a small", "does it come in xl": the piece in another size."""
    return _has(patterns.ASKS_OTHER_SIZE, text)


def mentions_gender(text: str) -> bool:
    """ "any womens?", "mens jackets": the shop does not sort pieces that way."""
    return GENDER_WORD.search(text) is not None


def asks_about_my_size(text: str) -> bool:
    return _has(patterns.ASKS_ABOUT_MY_SIZE, text)


def wants_more(text: str) -> bool:
    return _has(patterns.WANTS_MORE, text)


def asks_waitlist_place(text: str) -> bool:
    """ "am I still in line?", "where am I on the waitlist?" """
    return _has(patterns.ASKS_WAITLIST_PLACE, text)


def wants_off_waitlist(text: str) -> bool:
    """ "take me off the list", "remove me from the waitlist" """
    return _has(patterns.WANTS_OFF_WAITLIST, text)
