"""What a DM asks the stock for, as structured filters: "nike jackets in L under $50" → an `ItemQuery`
(brand, kind of garment, size, waist, colour, era, price and measurement filters, plus free words).

Only the reading of words is here; `inventory.search` ranks the stock for the query, and the words both
sides share (garments, sizes, colours) are `inventory.vocabulary`'s.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import TypedDict

from assistant.language.spelling import read_misspellings, understood
from assistant.language.text import normalise
from inventory.item_query import ItemQuery
from inventory.selectors import known_brands
from inventory.vocabulary import (
    BOTTOMS,
    CATEGORY_FOR_WORD,
    COLOUR_FOR_WORD,
    DENIM_WORD,
    DRESS_SIZE_TO_LETTER,
    SEVERAL_CATEGORIES_WORDS,
    SIZE_WORDS,
    categories_for_word,
)

ERA_WORDS = {
    "fifties": "50s",
    "sixties": "60s",
    "seventies": "70s",
    "eighties": "80s",
    "nineties": "90s",
    "y2k": "00s",
    "2000s": "00s",
    "noughties": "00s",
    "00s": "00s",
    "2010s": "10s",
}

MEASUREMENT_WORDS: dict[str, str] = {
    "pit to pit": "pit_to_pit",
    "pit-to-pit": "pit_to_pit",
    "pit2pit": "pit_to_pit",
    "p2p": "pit_to_pit",
    "ptp": "pit_to_pit",
    "chest": "pit_to_pit",
    "armpit to armpit": "pit_to_pit",
    "length": "length",
    "inseam": "inseam",
    "shoulders": "shoulder",
    "shoulder": "shoulder",
    "sleeves": "sleeve",
    "sleeve": "sleeve",
    "rise": "rise",
    "hips": "hips",
    "hip": "hips",
}

BRAND_ALIASES = {
    "tnf": "the north face",
    "north face": "the north face",
    "levis": "levi's",
    "levi": "levi's",
    "ralph": "ralph lauren",
    "polo ralph lauren": "ralph lauren",
    "champ": "champion",
    "tommy": "tommy hilfiger",
    "harley": "harley-davidson",
    "carhart": "carhartt",
    "docs": "dr martens",
    "doc martens": "dr martens",
    "doc marten": "dr martens",
    "dr marten": "dr martens",
    "patagucci": "patagonia",
}

# Words that carry no search meaning in a DM to a vintage shop.
STOPWORDS = frozenset(
    """a about above absolutely again all also am an and any anything are around as at available be been
    both but buy by can cheap cheaper could cool dm do does dont don't drop drops else for from fit fits
    get got have has hello hey hi how i i'd i'll i'm im in inches inch is it its it's just kind know like
    looking love me mine more my need new nice of on one ones or other please pls plz really rn some
    something stock stuff show size sizes sz that the them there these thing things this those to u
    under up us vintage want wanted was we what whats what's which with would ya yo you your yours
    any? ur thx thanks ok okay piece pieces item items shop still sell selling sale have? got? sth
    maybe wear wearing sort sorts type types style styles color colour colors colours era decade
    price prices cost costs bucks dollars usd budget max maximum min minimum least most less than over
    below cheapest ones
    hold holds reserve reserved take buy purchase order cancel release tell info details detail measurement
    measurements condition still much left sold gone interested thank offer should can will i'll grab
    dibs save put aside keep guys yes yeah yep sure great two three both first second third fourth fifth last
    that's think also too many pics photos pictures picture pic more said shown showed sent abt bc lol omg
    pay paying ready send wanna gonna gotta where when how why who much""".split()
)

# Apostrophes are dropped before words are compared ("i'll" → "ill"), so the stopwords are too.
KEYED_STOPWORDS = frozenset(word.replace("'", "") for word in STOPWORDS)
# Never read as a misspelling of another word: the stopwords, eras and brand nicknames.
NOT_MISSPELT = (
    KEYED_STOPWORDS | frozenset(ERA_WORDS) | frozenset(word for alias in BRAND_ALIASES for word in alias.split())
)

SKU_PATTERN = re.compile(r"(?<![A-Za-z0-9-])([A-Za-z0-9]{2,}(?:-[A-Za-z0-9]+){1,5})(?![A-Za-z0-9-])")
NUMBER = r"(\d{1,5}(?:\.\d{1,2})?)"

# The patterns, compiled once (parse_search runs several times per message).
_MEASUREMENT_NAMES = "|".join(sorted((re.escape(word) for word in MEASUREMENT_WORDS), key=len, reverse=True))
_MINIMUM_WORDS = r"at least|min(?:imum)?|over|more than|above|bigger than|longer than|wider than|>=?|\+"
_MAXIMUM_WORDS = r"at most|max(?:imum)?|under|less than|below|smaller than|shorter than|no more than|<=?"
MEASURE = re.compile(
    rf"\b(?P<name>{_MEASUREMENT_NAMES})\b\s*(?:of|is|:|=)?\s*(?:(?P<min>{_MINIMUM_WORDS})|(?P<max>{_MAXIMUM_WORDS})"
    rf"|around|about|~)?\s*{NUMBER}\s*(?:\"|''|in(?:ch(?:es)?)?\b)?\s*(?P<after>\+|or more|or bigger|or longer|"
    rf"plus|or less|or smaller|or shorter|max|min)?"
)
MEASURE_REVERSED = re.compile(
    rf"\b{NUMBER}\s*(?:\"|''|in(?:ch(?:es)?)?\b)?\s*(?P<after>\+|or more|plus)?\s*(?:inch(?:es)?\s*)?"
    rf"(?P<name>{_MEASUREMENT_NAMES})\b"
)
PRICE_PATTERNS = [
    (re.compile(pattern), kind)
    for pattern, kind in [
        (r"between\s*\$?\s*" + NUMBER + r"\s*(?:and|&|-|to)\s*\$?\s*" + NUMBER, "range"),
        (r"\$\s*" + NUMBER + r"\s*(?:-|to)\s*\$?\s*" + NUMBER, "range"),
        (
            r"(?:under|below|less than|cheaper than|max(?:imum)?|up to|upto|at most|no more than|within|<=?|budget(?: is| of)?)\s*(?:of\s*)?\$?\s*"
            + NUMBER
            + r"\s*(?:\$|dollars|bucks|usd)?",
            "max",
        ),
        (r"\$\s*" + NUMBER + r"\s*(?:or less|or under|or below|max|and under|and below|tops)", "max"),
        (r"\b" + NUMBER + r"\s*(?:dollars|bucks|usd)?\s*(?:or less|or under|and under|max|tops)", "max"),
        (r"(?:over|above|more than|at least|min(?:imum)?|>=?)\s*\$\s*" + NUMBER, "min"),
        (r"(?:around|about|~|roughly)\s*\$\s*" + NUMBER, "around"),
        (r"\bfor\s*\$\s*" + NUMBER + r"|\$\s*" + NUMBER + r"\s*budget", "max"),
    ]
]
# Longest first, so "cargo pants" is read before "pants" and "tee shirt" before "shirt".
KIND_PATTERNS = [
    (word, re.compile(rf"(?<![a-z0-9-]){re.escape(word)}(?![a-z0-9-])"))
    for word in sorted([*CATEGORY_FOR_WORD, *SEVERAL_CATEGORIES_WORDS], key=len, reverse=True)
]
SIZE_WORD_PATTERN = re.compile(
    "(?<![a-z0-9-])("
    + "|".join(sorted((re.escape(word) for word in SIZE_WORDS), key=len, reverse=True))
    + ")(?![a-z0-9-])"
)
ERA_PATTERNS = [(era, re.compile(rf"\b{re.escape(word)}\b")) for word, era in ERA_WORDS.items()]
COLOUR_PATTERNS = [(colour, re.compile(rf"\b{re.escape(word)}\b")) for word, colour in COLOUR_FOR_WORD.items()]


@lru_cache(maxsize=4096)
def brand_key(brand: str) -> str:
    """How a brand is compared: lower case, no apostrophes or punctuation ("Levi's" → "levis")."""
    return re.sub(r"[^a-z0-9 ]", "", brand.lower().replace("-", " ")).strip()


def _money(value: str) -> Decimal | None:
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return None
    return amount if amount > 0 else None


def _cut(text: str, match: re.Match[str]) -> str:
    return text[: match.start()] + " " + text[match.end() :]


def find_skus(text: str) -> list[str]:
    """SKU-looking tokens in the order they appear (upper case, no duplicates): letters and digits in
    two or more parts joined by hyphens, with at least one digit ("VNT-NIKE-WB-001")."""
    found: list[str] = []
    for match in SKU_PATTERN.finditer(text):
        token = match.group(1).upper()
        if any(ch.isdigit() for ch in token) and any(ch.isalpha() for ch in token) and token not in found:
            found.append(token)
    return found


class _Values(TypedDict, total=False):
    """The query's single values read so far (`ItemQuery`'s fields of those names)."""

    cheapest: bool
    sku: str
    waist: int
    min_price: Decimal
    max_price: Decimal


@dataclass
class _Reading:
    """What has been read from a message so far, and `rest`: the text not read yet (each step cuts out what it
    understood, so later steps never read it twice)."""

    rest: str
    values: _Values = field(default_factory=_Values)
    notes: list[str] = field(default_factory=list)
    minimums: dict[str, float] = field(default_factory=dict)
    maximums: dict[str, float] = field(default_factory=dict)
    categories: list[str] = field(default_factory=list)
    kind_words: list[str] = field(default_factory=list)
    sizes: list[str] = field(default_factory=list)
    eras: list[str] = field(default_factory=list)
    colours: list[str] = field(default_factory=list)
    brands: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)

    def cut(self, match: re.Match[str]) -> None:
        self.rest = _cut(self.rest, match)


def parse_search(text: str, *, brands: list[str] | None = None) -> ItemQuery:
    """What `text` asks for, as filters. `brands` is the stock's brand list (read from the database if None)."""
    stock_brands = known_brands() if brands is None else brands
    spelled, corrections = read_misspellings(
        normalise(text), brands=[brand_key(brand) for brand in stock_brands], also_known=NOT_MISSPELT
    )
    note = understood(corrections)
    reading = _Reading(rest=" " + spelled + " ", notes=[note] if note else [])
    _read_skus(reading)
    # Measurements before prices: "pit to pit under 24" is inches, not dollars.
    _read_measurements(reading)
    _read_waist(reading)
    _read_prices(reading)
    # Kind of garment before sizes: "size 32 jeans" is a waist, "size 10 boots" a shoe size.
    _read_kinds(reading)
    _read_sizes(reading)
    _read_eras(reading)
    _read_colours(reading)
    _read_brands_and_words(reading, stock_brands=stock_brands)
    if re.search(r"\b(cheapest|least expensive|lowest price|cheapest one|most affordable)\b", normalise(text)):
        reading.values["cheapest"] = True
    return ItemQuery(
        words=tuple(dict.fromkeys(reading.words)),
        brands=tuple(reading.brands),
        categories=tuple(reading.categories),
        kind_words=tuple(reading.kind_words),
        sizes=tuple(dict.fromkeys(reading.sizes)),
        colours=tuple(reading.colours),
        eras=tuple(dict.fromkeys(reading.eras)),
        measurements_min=tuple(sorted(reading.minimums.items())),
        measurements_max=tuple(sorted(reading.maximums.items())),
        notes=tuple(reading.notes),
        **reading.values,
    )


def _read_skus(reading: _Reading) -> None:
    skus = [
        token for token in find_skus(reading.rest) if sum(ch.isdigit() for ch in token) >= 2 or token.count("-") >= 2
    ]
    if skus:
        reading.values["sku"] = skus[0]
        for sku in skus:
            reading.rest = re.sub(re.escape(sku.lower()), " ", reading.rest)


def _read_measurements(reading: _Reading) -> None:
    for pattern in (MEASURE, MEASURE_REVERSED):
        while (match := pattern.search(reading.rest)) is not None:
            key = MEASUREMENT_WORDS[match.group("name")]
            number = float(next(group for group in match.groups()[::-1] if group and re.fullmatch(NUMBER, group)))
            if match.group("name") == "chest" and number > 30:
                number = number / 2  # a chest measured all round is twice the pit-to-pit
            after = match.groupdict().get("after") or ""
            if match.groupdict().get("min") or after in ("+", "or more", "or bigger", "or longer", "plus", "min"):
                reading.minimums[key] = number
            elif match.groupdict().get("max") or after in ("or less", "or smaller", "or shorter", "max"):
                reading.maximums[key] = number
            else:
                reading.minimums[key], reading.maximums[key] = number - 1, number + 1
            reading.cut(match)


def _read_waist(reading: _Reading) -> None:
    """ "waist 32", "32 waist", "w32", "32w", "32x30"."""
    waist = re.search(
        r"\b(?:waist\s*(?:size\s*)?(?:of\s*)?|w\s?)(\d{2})\b|\b(\d{2})\s*(?:w\b|waist\b|\"? waist)|\b(\d{2})\s?x\s?\d{2}\b",
        reading.rest,
    )
    if waist:
        number = int(next(group for group in waist.groups() if group))
        if 22 <= number <= 48:
            reading.values["waist"] = number
            reading.cut(waist)


def _read_prices(reading: _Reading) -> None:
    values = reading.values
    for pattern, kind in PRICE_PATTERNS:
        match = pattern.search(reading.rest)
        if match is None:
            continue
        read = [_money(group) for group in match.groups() if group]
        numbers = [number for number in read if number is not None]
        if len(numbers) < len(read) or not numbers:
            continue
        if kind == "range":
            values["min_price"], values["max_price"] = min(numbers), max(numbers)
        elif kind == "max":
            values["max_price"] = numbers[0]
        elif kind == "min":
            values["min_price"] = numbers[0]
        else:
            values["min_price"] = (numbers[0] * Decimal("0.75")).quantize(Decimal("1"))
            values["max_price"] = (numbers[0] * Decimal("1.25")).quantize(Decimal("1"))
        reading.cut(match)


def _read_kinds(reading: _Reading) -> None:
    for word, pattern in KIND_PATTERNS:
        match = pattern.search(reading.rest) if word in reading.rest else None
        if match is None:
            continue
        reading.categories.extend(
            category for category in categories_for_word(word) if category not in reading.categories
        )
        reading.kind_words.append(word)
        reading.cut(match)
    denim = re.search(rf"\b{DENIM_WORD}\b", reading.rest)
    if denim and not reading.categories:
        reading.categories.extend(categories_for_word(DENIM_WORD))
        reading.kind_words.append(DENIM_WORD)
        reading.cut(denim)


def _read_sizes(reading: _Reading) -> None:
    sizes = reading.sizes
    while (match := SIZE_WORD_PATTERN.search(reading.rest)) is not None:
        sizes.append(SIZE_WORDS[match.group(1)])
        reading.cut(match)
    while (
        match := re.search(
            r"\b(?:size|sz|in|an?|fits?|fit me|wear|i'?m)\s+(?:an?\s+|size\s+)?(s|m|l)\b(?!')", reading.rest
        )
    ) is not None:
        sizes.append(match.group(1).upper())
        reading.cut(match)
    if (match := re.search(r"\s(s|m|l)\s*[?!.]*\s*$", reading.rest)) is not None:
        sizes.append(match.group(1).upper())
        reading.cut(match)
    numeric = re.search(
        r"\b(?:size|sz|fits?(?: an?)?(?: size)?|i'?m an?|i wear an?|wear an?)\s*(?:us\s*|uk\s*|eu\s*)?(\d{1,2}(?:\.5)?)\b",
        reading.rest,
    )
    if numeric:
        number = float(numeric.group(1))
        label = numeric.group(1)
        if set(reading.categories) & BOTTOMS and number >= 22 and "waist" not in reading.values:
            reading.values["waist"] = int(number)
        elif "shoes" in reading.categories:
            sizes.append(label)
        else:
            sizes.append(label)
            letter = DRESS_SIZE_TO_LETTER.get(int(number)) if number == int(number) else None
            if letter:
                sizes.append(letter)
                reading.notes.append(f"size {label} is usually an {letter}")
        reading.cut(numeric)


def _read_eras(reading: _Reading) -> None:
    while (match := re.search(r"\b(?:19)?([5-9]0)'?s\b|\b'([5-9]0)s\b", reading.rest)) is not None:
        reading.eras.append((match.group(1) or match.group(2)) + "s")
        reading.cut(match)
    for era, pattern in ERA_PATTERNS:
        reading.rest, found = pattern.subn(" ", reading.rest)
        if found:
            reading.eras.append(era)


def _read_colours(reading: _Reading) -> None:
    for colour, pattern in COLOUR_PATTERNS:
        reading.rest, found = pattern.subn(" ", reading.rest)
        if found and colour not in reading.colours:
            reading.colours.append(colour)


def _read_brands_and_words(reading: _Reading, *, stock_brands: list[str]) -> None:
    """Brands: whole names first ("the north face"), then aliases (misspellings were read before); what is left
    are the free words."""
    matched_brands = reading.brands
    by_key = {brand_key(brand): brand for brand in stock_brands if brand_key(brand)}
    keyed_rest = " " + re.sub(r"[^a-z0-9 ]", "", reading.rest.replace("-", " ")) + " "
    for key in sorted(by_key, key=len, reverse=True):
        if f" {key} " in keyed_rest or (key.startswith("the ") and f" {key[4:]} " in keyed_rest):
            matched_brands.append(by_key[key])
            keyed_rest = keyed_rest.replace(f" {key} ", " ").replace(f" {key.removeprefix('the ')} ", " ")
    for alias, key in BRAND_ALIASES.items():
        target = by_key.get(brand_key(key))
        if target and target not in matched_brands and f" {alias} " in keyed_rest:
            matched_brands.append(target)
            keyed_rest = keyed_rest.replace(f" {alias} ", " ")
    for token in keyed_rest.split():
        if re.fullmatch(r"\d{3}s", token):  # "the 550s", "501s": a model number, in the piece's name
            reading.words.append(token[:-1])
            continue
        if token in KEYED_STOPWORDS or len(token) < 3 or token.isdigit():
            continue
        # Plural free words match their singular too ("windbreakers" finds "Windbreaker").
        reading.words.append(
            token[:-1] if len(token) > 4 and token.endswith("s") and not token.endswith("ss") else token
        )
