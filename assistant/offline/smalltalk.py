"""Small talk and shop questions: greetings, thanks, reactions, who am I, shipping, holds, payment, sizing."""

from django.conf import settings

from assistant import language, wording
from assistant.formatting import item_line, item_lines, when
from assistant.offline.context import Turn
from orders.payment_providers import payment_provider


def greeting(turn: Turn) -> str:
    holds = turn.toolbox.holds()
    return wording.greeting(item_lines(holds) if holds else "")


def hand_off(turn: Turn) -> str:
    turn.toolbox.hand_off_to_owner(reason=turn.conversation.text[:200])
    return wording.HANDOFF


def thanks(turn: Turn) -> str:
    # "You're welcome" answers thanks only: an "ok" or a "bye" gets a plain acknowledgement.
    if language.bare(turn.text).startswith(("no", "nah")):
        opener = wording.THANKS_OPENERS["no"]
    elif language.says_bye(turn.text):
        opener = wording.THANKS_OPENERS["bye"]
    elif language.says_thanks(turn.text):
        opener = wording.THANKS_OPENERS["thanks"]
    else:
        opener = wording.THANKS_OPENERS["ok"]
    holds = turn.toolbox.holds()
    return wording.acknowledgement(opener, item_lines(holds) if holds else "")


def still_here(turn: Turn) -> str:
    return wording.STILL_HERE


def reaction(turn: Turn) -> str:
    """ "🔥🔥" or "lol": a short answer that moves things on, never the full help text."""
    shown = [facts for facts in turn.shown() if facts["status"] == "available"]
    if language.likes_it(turn.text) and len(shown) == 1:
        return wording.LIKES_THE_ONE
    if language.likes_it(turn.text) and shown:
        return wording.LIKES_THEM
    return wording.ASK_FOR_SOMETHING


def compliment(turn: Turn) -> str:
    """ "ur page is so cute 😍": thanks, and an offer to find something."""
    return wording.COMPLIMENT_THANKS


def who_am_i(turn: Turn) -> str:
    return wording.who_am_i()


def other_customers(turn: Turn) -> str:
    return wording.OTHER_CUSTOMERS


def hold_policy(turn: Turn) -> str:
    return faq(turn, "holds")


def faq(turn: Turn, topic: str) -> str:
    if topic in ("location", "shipping"):
        return settings.SHIPPING_INSTRUCTIONS
    if topic == "holds":
        holds = turn.toolbox.holds()
        if holds:
            # "how long do i have?" from someone holding pieces is about their own holds.
            return wording.own_holds([f"{item_line(facts)} until {when(facts['held_until'])}" for facts in holds])
        return wording.hold_policy()
    if topic == "authenticity":
        return authenticity(turn)
    if topic == "returns":
        return settings.RETURNS_POLICY
    if topic == "offers":
        return wording.offers_welcome()
    if topic == "payment":
        return payment_methods(turn)
    return wording.SIZING


def authenticity(turn: Turn) -> str:
    """ "is it real?": what the listing says, never a promise the shop has not made; the owner answers the rest."""
    reference = turn.resolve(turn.full_text)
    listed_as = ""
    if len(reference.items) == 1:
        facts = reference.items[0]
        described = ", ".join(
            part for part in (facts["brand"], facts.get("era", ""), f"condition {facts.get('condition', '')}") if part
        )
        listed_as = wording.listed_as(facts["sku"], facts["name"], described)
    return wording.authenticity(listed_as)


def ask_my_size(turn: Turn) -> str:
    return wording.ASK_MY_SIZE


def not_understood(turn: Turn) -> str:
    return wording.NOT_UNDERSTOOD + wording.help_text()


CARD_WAYS = ("card", "Apple Pay", "Google Pay")


def payment_methods(turn: Turn) -> str:
    """ "venmo ok?", "can I pay with card?": answered from the shop's settings, with the open payment link."""
    method = language.payment_method_named(turn.text)
    accepted = False
    if method:
        ways = settings.PAYMENT_METHODS + (
            " " + settings.PAYMENT_INSTRUCTIONS if not payment_provider().pays_by_link else ""
        )
        squashed = ways.lower().replace(" ", "")
        accepted = method.lower().replace(" ", "") in squashed or (
            payment_provider().pays_by_link and method in CARD_WAYS
        )
    pending = [order for order in turn.toolbox.order_status().orders if order["status"] == "awaiting payment"]
    link = next((order["payment_link"] for order in pending if order.get("payment_link")), "")
    return wording.payment_faq(method=method, accepted=accepted, link=link, ordered=bool(pending))
