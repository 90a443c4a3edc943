"""How the assistant talks: greetings, thanks, hand-offs, STOP/START, help, and answers to the shop's
usual questions (sizing, paying, holds, authenticity)."""

from django.conf import settings

from orders.payment_providers import payment_provider

# --- the conversation itself ---

HANDOFF = "I've asked the owner to jump in: they'll reply here as soon as they can. I'll stay quiet until then."
STOP = "You're unsubscribed: the shop won't send you any more automatic messages. Send START to turn them back on."
START = "Welcome back! Automatic replies are on again. What are you looking for today?"
TEXT_ONLY = "I can only read text for now — what are you looking for?"
OTHER_CUSTOMERS = (
    "I can't share anything about other customers or act for them, sorry! I can help with your own holds and "
    "orders, or find you something: tell me a brand, size or budget."
)
STILL_HERE = "I'm here! What can I find for you? Tell me a brand, size or budget."
ASK_FOR_SOMETHING = "Anything I can find for you? Tell me a brand, size or budget."
LIKES_THE_ONE = "Glad you like it! Want me to hold it for you?"
LIKES_THEM = "Glad you like them! Say \"I'll take the first one\" (or the second…) and I'll hold it for you."
NO_PROBLEM = "No problem! Let me know if you're looking for anything else."
NOT_UNDERSTOOD = "I'm not sure I got that. "
DETAILS_PROMPT = '\nWant details on one? Say "the first one" or send the SKU.'
BACK_ON_SALE_LATER = "If they don't buy it, it's back on sale then: message me after that and I'll hold it for you."
# Never a real SKU: the memory reads the SKUs of the shop's last message as "the items just shown", so an
# example code there would make "I'll take it" hold a piece the customer never saw.
SKU_HINT = "its SKU (the code at the start of each listing)"
# The words of the shop's own messages that the assistant reads back ("want me to hold it?" → "yes").
OFFERED_TO_HOLD = "hold it for you"
JUST_RELEASED = "i've released"


def help_text() -> str:
    return (
        'I can find pieces for you (try "Nike jackets in L under $60" or "90s levis waist 32"), tell you about one '
        '(send its SKU), hold it for you ("I\'ll take it"), place your order ("buy") and check on it ("where is my '
        'order?"). Want a person? Just say "human".'
    )


def who_am_i() -> str:
    return f"I'm {settings.SHOP_NAME}'s automated assistant, not a person. " + help_text()


COMPLIMENT_THANKS = "Aw, thank you so much! Anything I can find for you? Tell me a brand, size or budget."


def greeting(hold_lines: str) -> str:
    text = settings.SHOP_GREETING
    if hold_lines:
        text += "\nYou're holding:\n" + hold_lines + '\nSay "buy" when you\'re ready to order.'
    return text


def acknowledgement(opener: str, hold_lines: str) -> str:
    """After thanks / ok / bye (`opener` is one of the THANKS_OPENERS)."""
    if hold_lines:
        return f"{opener} Just a reminder, you're holding:\n" + hold_lines + '\nSay "buy" whenever you\'re ready.'
    return f"{opener} Message me any time you're looking for something."


THANKS_OPENERS = {"no": "No problem!", "bye": "Bye for now!", "thanks": "You're welcome!", "ok": "👍"}

# --- shop questions ---

SIZING = (
    "Vintage sizes vary a lot, so the measurements are the best guide: compare the pit to pit and length "
    "with a piece that fits you well. Ask me for any item's measurements."
)
ASK_MY_SIZE = (
    "Tell me your size (S to XXL, a waist like 32, or a measurement like pit to pit 22) and what "
    "you're after, and I'll look."
)


def payment_faq(*, method: str | None = None, accepted: bool = False, link: str = "", ordered: bool = False) -> str:
    """ "venmo ok?", "how do I pay?": the shop's ways to pay (`PAYMENT_METHODS`, Stripe's link when the shop takes
    cards through Stripe, else the manual instructions), saying yes or no to the `method` asked about."""
    others = settings.PAYMENT_METHODS.strip().rstrip(".")
    parts = []
    if method:
        parts.append(f"Yes, {method} works!" if accepted else f"Sorry, we don't take {method}.")
    if payment_provider().pays_by_link:
        if link:
            parts.append(f"Card, Apple Pay and Google Pay work through your secure payment link: {link}")
        else:
            parts.append("Card, Apple Pay and Google Pay work through the secure payment link I send when you order.")
        if others:
            parts.append(f"We also take {others} (put your order number in the note).")
    else:
        if others:
            parts.append(f"We take {others}; put your order number in the note.")
        if not (others and accepted):
            parts.append(settings.PAYMENT_INSTRUCTIONS)
    if not ordered:
        parts.append('Hold a piece first, then say "buy" and I\'ll place your order.')
    return " ".join(parts)


def hold_policy() -> str:
    return (
        f"I can hold a piece for you for {settings.HOLD_HOURS} hours, up to {settings.MAX_HOLDS_PER_CUSTOMER} at a "
        'time. Just say "I\'ll take it" or send the SKU.'
    )


def own_holds(lines_until: list[str]) -> str:
    """ "how long do i have?" from someone holding pieces: each hold with its end."""
    return "\n".join(lines_until) + (
        f'\nSay "buy" before then to order. Holds last {settings.HOLD_HOURS} hours, up to '
        f"{settings.MAX_HOLDS_PER_CUSTOMER} pieces at a time."
    )


def authenticity(listed_as: str) -> str:
    return (
        listed_as + "Every listing says what the piece is, with its era, condition and flaws. For tag photos or "
        'anything else about authenticity, say "human" and the owner will reply here.'
    )


def listed_as(sku: str, name: str, described: str) -> str:
    return f"{sku} · {name} is listed as {described}. "
