"""What a customer says about their own sizes: "I'm an L", "i usually wear a medium", "I'm a 32 waist", "my pit to
pit is 24". First person only: "any levis in 32 waist?" or "pit to pit at least 22" are searches, not sizes they
wear. No database."""

import re
from dataclasses import dataclass, field

_SIZE_NAMES = {
    "xxs": "XXS",
    "xs": "XS",
    "extra small": "XS",
    "s": "S",
    "small": "S",
    "m": "M",
    "medium": "M",
    "l": "L",
    "large": "L",
    "xl": "XL",
    "x-large": "XL",
    "extra large": "XL",
    "xxl": "XXL",
    "2xl": "XXL",
    "xxxl": "XXXL",
    "3xl": "XXXL",
}
_SIZE = "|".join(sorted((re.escape(name) for name in _SIZE_NAMES), key=len, reverse=True))
_I = r"\b(?:i'?m|i am|im|i wear|i usually wear|i normally wear)(?: usually| normally| always| typically)?"
# A size said of oneself ends there: "i'm a large fan" is not a size.
_ENDS = r"(?=\s*(?:$|[,.!?;)]|(?:in|or|and|but|so|usually|normally|btw|though|tho|too|lol)\b))"
_LABELS = re.compile(rf"{_I}(?: an?| a size| size| in)? ({_SIZE})(?: or (?:an? )?({_SIZE}))?{_ENDS}")
_WAIST = re.compile(
    rf"{_I}(?: an?)? w?(\d{{2}})(?: ?(?:in|inch|\"))? waist\b|\bmy waist(?: size)? is (?:an? )?(\d{{2}})\b"
)
_MEASURE_NAMES = {"pit to pit": "pit_to_pit", "p2p": "pit_to_pit", "chest": "chest", "inseam": "inseam"}
_MEASURE = "|".join(_MEASURE_NAMES)
_MEASUREMENT = re.compile(
    rf"\bmy ({_MEASURE}) is (?:about |around )?(\d{{2}}(?:\.\d)?)\b"
    rf"|{_I}(?: an?)? (\d{{2}}(?:\.\d)?)(?: ?(?:in|inch|inches|\"))? ({_MEASURE})\b"
)


@dataclass(frozen=True)
class OwnSizes:
    labels: tuple[str, ...] = ()
    waist: int | None = None
    measurements: dict[str, float] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.labels or self.waist or self.measurements)


def read_own_sizes(text: str) -> OwnSizes:
    """The sizes `text` (normalised: lower case) says the customer wears; empty when it says none."""
    if len(text) > 2000 or not re.search(r"\b(?:i|my|im)\b", text):
        return OwnSizes()
    labels = [_SIZE_NAMES[name] for found in _LABELS.finditer(text) for name in found.groups() if name in _SIZE_NAMES]
    waists = [int(number) for found in _WAIST.finditer(text) for number in found.groups() if number]
    measurements: dict[str, float] = {}
    for found in _MEASUREMENT.finditer(text):
        name, inches = (found.group(1), found.group(2)) if found.group(1) else (found.group(4), found.group(3))
        measurements[_MEASURE_NAMES[name]] = float(inches)
    waist = next((waist for waist in waists if 20 <= waist <= 60), None)
    return OwnSizes(labels=tuple(dict.fromkeys(labels)), waist=waist, measurements=measurements)


# "let me know when new pieces in my size come in", "dm me new arrivals": consent to hear of new pieces.
_WANTS_ARRIVALS = re.compile(
    r"\b(?:let me know|message me|dm me|text me|notify me|ping me|keep me posted|sign me up|subscribe me)\b"
    r"[^.?!]{0,30}\bnew (?:pieces?|stuff|arrivals?|items?|things?|drops?)\b"
)
_NO_SUGGESTIONS = re.compile(
    r"\b(?:no (?:more )?suggestions|stop (?:the |your )?suggestions|stop suggesting|no (?:more )?new arrivals"
    r"|stop (?:the )?new arrivals|don'?t (?:send|message|dm) me (?:about )?new (?:pieces|arrivals|stuff))\b"
)


def wants_new_arrivals(text: str) -> bool:
    return bool(_WANTS_ARRIVALS.search(text)) and not _NO_SUGGESTIONS.search(text)


def wants_no_suggestions(text: str) -> bool:
    return bool(_NO_SUGGESTIONS.search(text))
