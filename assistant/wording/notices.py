"""Messages the shop sends unprompted or when something settles: hold reminders, waitlist turns, drops,
places in line."""

from assistant.wording.holds import when_ready_to_buy


def hold_reminder(line: str, until: str) -> str:
    return f"Just a reminder: {line} is on hold for you until {until}. " + when_ready_to_buy()


def waitlist_held_for_you(line: str, until: str) -> str:
    return f"Good news: {line} is free again, and it's on hold for you until {until}. " + when_ready_to_buy()


def waitlist_free_again(line: str) -> str:
    return f"Good news: {line} you were waiting for is free again! Say \"I'll take it\" and I'll hold it for you."


def drop_won(line: str, until: str) -> str:
    return f"You got it! {line} is yours: it's on hold for you until {until}. " + when_ready_to_buy()


def drop_lost(line: str, place: int) -> str:
    return (
        f"So close! Someone wrote a moment before you for {line}. You're #{place} in line: "
        "I'll message you if it frees up."
    )


def drop_too_early(line: str, place: int) -> str:
    return f"Your message came in before {line} dropped, so it didn't count. You're #{place} in line: " + (
        "I'll message you if it frees up."
    )


def joined_waitlist(line: str, place: int, until: str) -> str:
    return (
        f"Sorry, {line} is on hold for another customer until {until}. You're #{place} in line: "
        "I'll message you if it frees up."
    )


def already_in_line(line: str, place: int) -> str:
    return f"You're already in line for {line}: you're #{place}. I'll message you if it frees up."


def drops_later(line: str, until: str) -> str:
    return f"{line} drops {until}: message me then to claim it — the first to write gets it."


def places_in_line(lines: list[str]) -> str:
    return "Here's where you are:\n" + "\n".join(lines) + "\nI'll message you as soon as one frees up."


def place_line(line: str, place: int) -> str:
    return f"#{place} for {line}"


NOT_IN_ANY_LINE = "You're not waiting for anything right now. Want me to find you something?"


def left_lines(skus: list[str]) -> str:
    return "Done, I've taken you off the list for " + ", ".join(skus) + "."


def live_won(name: str, price: str) -> str:
    return f"It's yours: {name}, {price} — keep claiming, one invoice at the end!"


def live_lot_not_up(lot: int) -> str:
    return f"Lot {lot} isn't on screen yet: claim it when it's up!"
