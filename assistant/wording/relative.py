"""Relative asks: pieces cheaper, dearer, bigger, smaller, longer or shorter than another, or the same kind in
another size or colour. The piece compared with is named, never listed by SKU: it is no answer."""

from assistant.wording.conversation import DETAILS_PROMPT

COMPARED = {
    "cheaper": "cheaper than",
    "dearer": "pricier than",
    "bigger": "bigger than",
    "smaller": "smaller than",
    "longer": "longer than",
    "shorter": "shorter than",
}
MEASURE_NAMES = {"length": "length", "inseam": "inseam", "waist": "waist", "size": "size or pit to pit"}


def relative_found(lines: str, *, described: str) -> str:
    return f"Here's what I have: {described}:\n" + lines + DETAILS_PROMPT


def relative_none(*, described: str, closest_lines: str) -> str:
    text = f"I don't have any {described} right now."
    if closest_lines:
        text += " The closest I have:\n" + closest_lines + DETAILS_PROMPT
    else:
        text += " New pieces drop often, so check back soon!"
    return text


def lacks_measurement(name: str, measure: str, comparison: str) -> str:
    return (
        f"I don't have the {MEASURE_NAMES.get(measure, measure)} of the {name}, so I can't tell which pieces are "
        f'{comparison} than it. Tell me the measurement you need (like "length 28+") and I\'ll look.'
    )


def one_of_a_kind_in(name: str, size: str) -> str:
    return f" (the {name} is one of a kind, in {size})" if size else ""
