"""Showing pieces: search results, what just dropped, photos, an item's details and status, other sizes."""

from django.conf import settings

from assistant.wording.conversation import BACK_ON_SALE_LATER, DETAILS_PROMPT, SKU_HINT

# --- browsing and search ---

SOLD_OUT = "Everything's sold out right now! New pieces drop all the time, so check back soon."
NOTHING_LIKE_THAT = "I couldn't find anything like that right now. "
UNGENDERED = "I don't sort pieces as men's or women's: the measurements are the best guide to fit."
ASK_SIZE_OR_KIND = (
    " Tell me a size (S to XXL, a dress size like 10, a waist like 32) or the kind of piece you're after and I'll look."
)
ANYTHING_ELSE = "Want to try something else?"


def just_dropped(lines: str) -> str:
    return "Here's what just dropped:\n" + lines + "\nAsk about any of them, or tell me a brand, size or budget."


def found(lines: str, *, described: str, note: str, cheapest: bool) -> str:
    lead = "Here's what I have, cheapest first:" if cheapest else "Here's what I have:"
    intro = f"{lead} {described}{note}:" if described else lead
    return intro + "\n" + lines + DETAILS_PROMPT


def closest(lines: str, *, described: str, note: str) -> str:
    return f"Here's the closest I have: {described}{note}:\n" + lines + DETAILS_PROMPT


def none_found(*, described: str, note: str, closest_lines: str) -> str:
    text = f"I don't have any {described} right now{note}."
    if closest_lines:
        text += " The closest I have:\n" + closest_lines
    return text + "\nNew pieces drop often, so check back soon!"


def more(described: str, lines: str) -> str:
    return "More: " + described + "\n" + lines


def no_more(described: str) -> str:
    return f"That's all I have for {described} right now. " + ANYTHING_ELSE


# --- item details ---


def photo_sent(line: str, page_url: str) -> str:
    return f"Here's {line}. All its photos: {page_url}"


def photo_page(line: str, page_url: str) -> str:
    return f"Photos of {line}: {page_url}"


def no_photos(line: str) -> str:
    return f'I don\'t have photos of {line} yet, sorry! The owner can take some for you: just say "human".'


WHICH_ONE = "Which piece do you mean? Send me " + SKU_HINT + " or tell me what you're looking for."


def which_of(lines: str) -> str:
    return "Which one do you mean?\n" + lines + '\nSend the SKU or say "the first one".'


def available() -> str:
    return f"\nAvailable! Say \"I'll take it\" and I'll hold it for you for {settings.HOLD_HOURS} hours."


def held_for_you(until: str) -> str:
    return f'\nIt\'s on hold for you until {until}. Say "buy" to order.'


def held_for_someone_else(until: str) -> str:
    return f"\nIt's on hold for another customer until {until}. {BACK_ON_SALE_LATER}"


BOUGHT_BY_YOU = "\nIt's yours: it's in your order. Ask \"where is my order?\" to see how it's going."
SOLD = "\nThis one has already sold, sorry!"


SIMILAR_PIECES = "Similar pieces:"


def similar(lines: str) -> str:
    return f"\n{SIMILAR_PIECES}\n" + lines


def not_found(codes: list[str]) -> str:
    return (
        f"I couldn't find {', '.join(codes)} in the shop. Check the code, or tell me what you're looking for "
        "(brand, size, budget)."
    )


def one_of_a_kind(name: str, size: str) -> str:
    """The piece asked for in another size, named without its SKU: it is no answer, so it is not listed."""
    return f"Every piece here is one of a kind, so the {name} only comes in {size}."


def other_sizes(size: str, lines: str) -> str:
    return f" Here's what I have in {size}:\n" + lines + DETAILS_PROMPT


def no_other_sizes(described: str) -> str:
    return f" I don't have any other {described} right now, but new pieces drop often!"


def not_on_sale(name: str) -> str:
    """A piece the owner took off the shop (hidden): said, never its details."""
    return f"The {name} isn't on sale right now."
