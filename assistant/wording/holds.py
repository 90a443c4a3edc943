"""Holding pieces and letting them go: held, extended, held by someone else, the hold limit, released."""

from django.conf import settings

from assistant.wording.conversation import BACK_ON_SALE_LATER, SKU_HINT


def hold_which_of_everything() -> str:
    return (
        f"I can hold specific pieces for you, up to {settings.MAX_HOLDS_PER_CUSTOMER} at a time. Which ones would "
        "you like? Send the SKUs."
    )


def hold_which_of(lines: str) -> str:
    return "Which one should I hold?\n" + lines + '\nSend the SKU or say "the first one".'


def claim_which_of(lines: str) -> str:
    """A claim in a live drop that could mean several pieces: nothing is claimed until they say which."""
    return "Which one do you want?\n" + lines + '\nSend the SKU or say "the first one" — the first to write gets it.'


HOLD_WHICH = "Which piece would you like me to hold? Send " + SKU_HINT + " or tell me what you're looking for."


# In every reply that held a piece: how the next turn knows the last one held something ("the tee as well").
HELD_MARK = "is on hold for you until"


def held(line: str, until: str, hours: object) -> str:
    return f"Done! {line} {HELD_MARK} {until} ({hours} hours)."


def hold_extended(line: str, until: str) -> str:
    return f"It's already on hold for you: {line}. I've extended the hold until {until}."


def no_longer_holds() -> str:
    return (
        f"\n\nHolds last {settings.HOLD_HOURS} hours at most, so I can't promise longer: message me before it "
        "runs out and I'll extend it."
    )


def when_ready_to_buy() -> str:
    return "When you're ready, say \"buy\" and I'll place your order. " + settings.PAYMENT_INSTRUCTIONS


def held_by_someone_else(line: str, until: str) -> str:
    return f"Sorry, {line} is on hold for another customer until {until}. {BACK_ON_SALE_LATER}"


def already_yours(sku: str, name: str) -> str:
    return (
        f"{sku} · {name} is already yours: it's in your order. "
        'Ask "where is my order?" any time to see how it\'s going.'
    )


def already_sold(sku: str, name: str) -> str:
    return f"Sorry, {sku} · {name} has already sold."


def hold_limit(count: int, lines: str) -> str:
    return (
        f"You're already holding {count} pieces, the most at once:\n"
        + lines
        + '\nSay "buy" to order them, or "cancel the hold on" + SKU to free one up.'
    )


def could_not_hold(sku: str, why: str) -> str:
    return f"I couldn't hold {sku}: {why}"


NOTHING_HELD = "You don't have anything on hold right now. Anything else I can help with?"


def release_which(lines: str) -> str:
    return "Which hold should I cancel?\n" + lines + '\nSend the SKU, or say "cancel all my holds".'


def released(names: list[str]) -> str:
    return (
        "No problem, I've released "
        + ", ".join(names)
        + ". "
        + ("They're" if len(names) > 1 else "It's")
        + " back on sale."
    )


def not_held_by_you(skus: list[str]) -> str:
    return ", ".join(skus) + " wasn't on hold for you."


def released_one(sku: str, name: str) -> str:
    return f"I've released {sku} · {name}: it's back on sale."


HOLDS_ARE_FOR_YOU = (
    "I can only hold pieces for the person I'm talking to, so I haven't held anything. They can message me "
    "themselves, or you can hold it for yourself."
)


def holds_total(total: str) -> str:
    """ "how much is everything i'm holding together": the sum of the holds' prices."""
    return f"Together that's {total}."
