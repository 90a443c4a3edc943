"""Relative asks: "anything cheaper than the carhartt?", "same but in L", "something longer than this one?".

`read_relative(text)` says what the message compares (price, size, length, or "the same but …") and which words
name the piece it is relative to ("the carhartt", "this one"; none when it means the piece in view). What is
left of the message is its own search ("tees", "in L", "under 50"), read by `parse_search` as any search is.
Pure functions of the text: no database.
"""

import re
from dataclasses import dataclass

# Each comparison and how customers say it, most specific first ("less expensive" before "expensive").
COMPARISONS: tuple[tuple[str, str], ...] = (
    ("cheaper", r"cheaper|less expensive|more affordable|lower priced|less pricey|for less"),
    ("dearer", r"dearer|pricier|more expensive|higher priced|more pricey|fancier"),
    ("bigger", r"bigger|larger|roomier|looser|baggier|a size up|one size up"),
    ("smaller", r"smaller|tighter|snugger|a size down|one size down"),
    ("longer", r"longer"),
    ("shorter", r"shorter"),
)
COMPARISON_PATTERNS = tuple((name, re.compile(rf"\b(?:{words})\b")) for name, words in COMPARISONS)

# "cheaper than $50", "pit to pit bigger than 22", "bigger than a medium": a number or a size, not a piece.
AGAINST_A_NUMBER = re.compile(
    r"\bthan\s*(?:a |an |size )?(?:\$?\s*\d|(?:xx?s|s|m|l|xx?l|small|medium|large|x-?large)\b)"
)
# "do you have it any longer", "no longer want it": not about length.
NOT_LENGTH = re.compile(r"\b(?:any|no) longer\b(?! than)")

# "same but in L", "the same one in black", "same jacket but cheaper", "like the patagonia but in M".
SAME = re.compile(
    r"\b(?:the )?(?:same|similar)(?: (?:one|thing|piece|kind|style|[a-z]+))?(?: but)?(?: in| with| as)\b"
    r"|\b(?:the )?(?:same|similar)(?: (?:one|thing|piece|kind|style|[a-z]+))? but\b"
    r"|\blike (?:the|this|that|these|those) [a-z0-9' -]{1,40}? but\b"
)

# "the same but cheaper": "the same" names no piece.
SAME_WORDS = re.compile(r"(?:the|this|that) (?:same|similar)\b")

# Where the words naming a piece end: punctuation, or a word that starts the rest of the search.
_ANCHOR_END = (
    r"(?=[?!.,;:]|$|\s(?:in|under|over|below|above|but|and|with|for|like|or|im|i'm|please|pls|plz|size|sz|at|from"
    r"|to|rn|lol|tho|though|that'?s|which|who|because|cause|cuz|bc|if|so|any|anything|got|do|ur|you|u|i|i'?ve)\b)"
)
_POINTER = r"(?:the|this|that|these|those|it|them|ur|your)"
# "than the carhartt", "than this one", "than these".
THAN_ANCHOR = re.compile(rf"\bthan\s+(?P<anchor>{_POINTER}\b[^?!.,;:]*?){_ANCHOR_END}")
# "like the patagonia but cheaper", "same as the trucker", "a cheaper version of the carhartt".
LIKE_ANCHOR = re.compile(
    rf"\b(?:like|same as|similar to|(?:version|alternative|option|one|ones) (?:of|to))\s+(?P<anchor>(?:the|this|that|these|those)\b[^?!.,;:]*?){_ANCHOR_END}"
)
# "the carhartt but cheaper".
BUT_ANCHOR = re.compile(r"(?P<anchor>\b(?:the|this|that|these|those) [a-z0-9' -]{1,40}?)\s+but\b")

# A waist comparison however the piece is named: "a bigger waist than these", "bigger in the waist".
WAIST = re.compile(r"\bwaist\b")


@dataclass(frozen=True)
class RelativeAsk:
    """`comparison`: cheaper, dearer, bigger, smaller, longer, shorter, or "same" (the same kind, with the
    rest's filters). `anchor`: the words naming the piece ("" when the message means the piece in view).
    `rest`: the message without the comparison and the anchor, its own search ("got any tees", "in L")."""

    comparison: str
    anchor: str
    rest: str
    waist: bool = False

    @property
    def anchor_is_plural(self) -> bool:
        """ "than these", "than the 501s": several pieces may be meant at once."""
        words = self.anchor.split()
        if not words:
            return False
        last = words[-1]
        return last in ("these", "those", "them") or (last.endswith("s") and not last.endswith(("'s", "ss")))


def read_relative(text: str) -> RelativeAsk | None:
    """The relative ask in `text` (normalised, shorthand spelled out), or None when it is not one."""
    comparison, rest = _comparison(text)
    if comparison is None:
        return None
    anchor = ""
    for pattern in (THAN_ANCHOR, LIKE_ANCHOR, BUT_ANCHOR):
        match = pattern.search(rest)
        if match is not None and not SAME_WORDS.match(match.group("anchor")):
            anchor = " ".join(match.group("anchor").split())
            rest = rest[: match.start()] + " " + rest[match.end() :]
            break
    rest = re.sub(r"\b(?:than|same as|similar to|same|similar)\b", " ", rest)
    return RelativeAsk(comparison=comparison, anchor=anchor, rest=_sizes_spelled_out(rest), waist=_says_waist(text))


def _comparison(text: str) -> tuple[str | None, str]:
    """The comparison the message asks for and the text without its words."""
    if AGAINST_A_NUMBER.search(text):
        return None, text
    for name, pattern in COMPARISON_PATTERNS:
        if name == "longer" and NOT_LENGTH.search(text):
            continue
        match = pattern.search(text)
        if match is not None:
            return name, text[: match.start()] + " " + text[match.end() :]
    match = SAME.search(text)
    if match is not None:
        return "same", text
    return None, text


def _sizes_spelled_out(rest: str) -> str:
    """ "in a 10" → "size 10": a number after "in" is a size here ("same but in a 10"), not a price."""
    return re.sub(r"\bin (?:a |an )?(\d{1,2}(?:\.5)?)\b(?!\s*(?:w\b|waist|x\b|\"|in\b|inch))", r" size \1", rest)


def _says_waist(text: str) -> bool:
    return WAIST.search(text) is not None and not re.search(r"\bwaist\s*(?:size\s*)?\d", text)
