"""Ranked search of the stock, in the words customers use ("nike jackets in L under $50", "90s levis w32").

`parse_search()` turns a message into an `ItemQuery` (brand, kind of garment, size, waist, colour, era,
price and measurement filters, plus free words); `search_items()` runs it. On PostgreSQL the free
words are matched and ranked with the trigram indexes of inventory migration 0002 (the expressions
below are `upper(column)`, exactly as indexed, so the indexes are used) and misspellings still match
by trigram word similarity. On the embedded SQLite default the same filters run with `icontains`
and the ranking is done in Python over the first few hundred candidates.
"""

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connection
from django.db.models import BooleanField, Case, F, FloatField, Func, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Upper
from django.utils import timezone

from inventory.models import Item
from inventory.selectors import available_q

# --- Vocabulary -----------------------------------------------------------------------------------

# How each size is written on labels (matched whole, case-insensitive, e.g. "L", "Large", "Men's L").
SIZE_LABEL_ALIASES: dict[str, tuple[str, ...]] = {
    "XXS": ("XXS", "2XS"),
    "XS": ("XS", "X-SMALL", "XSMALL", "EXTRA SMALL"),
    "S": ("S", "SMALL", "SM"),
    "M": ("M", "MEDIUM", "MED", "MD"),
    "L": ("L", "LARGE", "LG"),
    "XL": ("XL", "X-LARGE", "XLARGE", "EXTRA LARGE", "1X"),
    "XXL": ("XXL", "2XL", "XX-LARGE", "XXLARGE", "2X"),
    "XXXL": ("XXXL", "3XL", "3X"),
}

# How customers write each size in a message, always as a whole word.
SIZE_WORDS: dict[str, str] = {
    "xxs": "XXS",
    "2xs": "XXS",
    "xs": "XS",
    "x-small": "XS",
    "xsmall": "XS",
    "extra small": "XS",
    "extra-small": "XS",
    "small": "S",
    "smalls": "S",
    "medium": "M",
    "mediums": "M",
    "med": "M",
    "large": "L",
    "larges": "L",
    "xl": "XL",
    "xls": "XL",
    "x-large": "XL",
    "xlarge": "XL",
    "extra large": "XL",
    "extra-large": "XL",
    "xxl": "XXL",
    "2xl": "XXL",
    "xx-large": "XXL",
    "xxlarge": "XXL",
    "xxxl": "XXXL",
    "3xl": "XXXL",
}

# US women's dress sizes mapped to letters, for "fits a size 10".
DRESS_SIZE_TO_LETTER = {
    0: "XS",
    2: "XS",
    4: "S",
    6: "S",
    8: "M",
    10: "M",
    12: "L",
    14: "L",
    16: "XL",
    18: "XL",
    20: "XXL",
}

# Garment words → category. Plurals and the usual synonyms; the first word of each is the canonical one.
KIND_WORDS: dict[str, tuple[str, ...]] = {
    "jacket": (
        "jacket",
        "jackets",
        "windbreaker",
        "windbreakers",
        "coat",
        "coats",
        "parka",
        "parkas",
        "bomber",
        "bombers",
        "anorak",
        "anoraks",
        "puffer",
        "puffers",
        "blazer",
        "blazers",
        "outerwear",
        "trucker",
        "varsity",
        "shell",
    ),
    "sweatshirt": (
        "sweatshirt",
        "sweatshirts",
        "hoodie",
        "hoodies",
        "hoody",
        "hoodys",
        "crewneck",
        "crewnecks",
        "crew neck",
        "sweats",
        "quarter zip",
        "quarter-zip",
        "half zip",
    ),
    "sweater": (
        "sweater",
        "sweaters",
        "knit",
        "knits",
        "knitwear",
        "jumper",
        "jumpers",
        "cardigan",
        "cardigans",
        "cardi",
    ),
    "shirt": (
        "shirt",
        "shirts",
        "button up",
        "button-up",
        "button down",
        "button-down",
        "flannel",
        "flannels",
        "blouse",
        "blouses",
        "polo",
        "polos",
    ),
    "tshirt": (
        "tee",
        "tees",
        "t-shirt",
        "t-shirts",
        "tshirt",
        "tshirts",
        "t shirt",
        "t shirts",
        "tee shirt",
        "tee shirts",
        "tee-shirt",
        "tee-shirts",
        "graphic tee",
        "band tee",
    ),
    "jeans": ("jeans", "jean", "501", "501s", "505", "505s"),
    "trousers": (
        "trousers",
        "pants",
        "chinos",
        "cargos",
        "cargo pants",
        "slacks",
        "joggers",
        "trackpants",
        "track pants",
    ),
    "shorts": ("shorts", "jorts"),
    "dress": ("dress", "dresses", "sundress"),
    "skirt": ("skirt", "skirts", "mini skirt", "miniskirt"),
    "shoes": ("shoes", "shoe", "sneakers", "sneaker", "trainers", "boots", "kicks", "loafers"),
    "accessory": (
        "accessory",
        "accessories",
        "hat",
        "hats",
        "cap",
        "caps",
        "beanie",
        "bag",
        "bags",
        "belt",
        "belts",
        "scarf",
        "scarves",
    ),
}
CATEGORY_FOR_WORD = {word: category for category, words in KIND_WORDS.items() for word in words}
# Words that name a whole category; any other garment word ("windbreaker") narrows the search to it.
GENERIC_KIND_WORDS = frozenset(
    """jacket jackets coat coats outerwear sweatshirt sweatshirts sweats sweater sweaters knit knits knitwear
    jumper jumpers shirt shirts tee tees t-shirt t-shirts tshirt tshirts t shirt t shirts tee-shirt tee-shirts jeans jean denim trousers
    pants shorts dress dresses skirt skirts shoes shoe accessory accessories""".split()
) | {"t shirt", "t shirts", "tee shirt", "tee shirts"}
BOTTOMS = {"jeans", "trousers", "shorts"}

COLOUR_WORDS: dict[str, tuple[str, ...]] = {
    "black": ("black",),
    "white": ("white",),
    "grey": ("grey", "gray"),
    "blue": ("blue",),
    "navy": ("navy",),
    "red": ("red",),
    "green": ("green",),
    "olive": ("olive",),
    "yellow": ("yellow",),
    "orange": ("orange",),
    "pink": ("pink",),
    "purple": ("purple",),
    "brown": ("brown",),
    "tan": ("tan",),
    "beige": ("beige",),
    "cream": ("cream",),
    "khaki": ("khaki",),
    "burgundy": ("burgundy", "maroon"),
    "teal": ("teal",),
}
COLOUR_FOR_WORD = {word: colour for colour, words in COLOUR_WORDS.items() for word in words}
COLOUR_FOR_WORD.update({"gray": "grey", "maroon": "burgundy", "multicolour": "multi", "multicolor": "multi"})

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

SKU_PATTERN = re.compile(r"(?<![A-Za-z0-9-])([A-Za-z0-9]{2,}(?:-[A-Za-z0-9]+){1,5})(?![A-Za-z0-9-])")
NUMBER = r"(\d{1,5}(?:\.\d{1,2})?)"

# The vocabulary's patterns, compiled once (parse_search runs several times per message).
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
# Longest first, so "cargo pants" is read before "pants".
KIND_PATTERNS = [
    (word, re.compile(rf"(?<![a-z0-9-]){re.escape(word)}(?![a-z0-9-])"))
    for word in sorted(CATEGORY_FOR_WORD, key=len, reverse=True)
]
SIZE_WORD_PATTERN = re.compile(
    "(?<![a-z0-9-])("
    + "|".join(sorted((re.escape(word) for word in SIZE_WORDS), key=len, reverse=True))
    + ")(?![a-z0-9-])"
)
ERA_PATTERNS = [(era, re.compile(rf"\b{re.escape(word)}\b")) for word, era in ERA_WORDS.items()]
COLOUR_PATTERNS = [(colour, re.compile(rf"\b{re.escape(word)}\b")) for word, colour in COLOUR_FOR_WORD.items()]


@dataclass(frozen=True)
class ItemQuery:
    """What a customer is looking for. Empty fields do not filter; `words` rank and match loosely."""

    words: tuple[str, ...] = ()
    sku: str = ""
    brands: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    kind_words: tuple[str, ...] = ()
    sizes: tuple[str, ...] = ()
    waist: int | None = None
    colours: tuple[str, ...] = ()
    eras: tuple[str, ...] = ()
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    measurements_min: tuple[tuple[str, float], ...] = ()
    measurements_max: tuple[tuple[str, float], ...] = ()
    cheapest: bool = False
    notes: tuple[str, ...] = field(default=(), compare=False)

    def has_filters(self) -> bool:
        return bool(
            self.brands
            or self.categories
            or self.sizes
            or self.waist
            or self.colours
            or self.eras
            or self.min_price is not None
            or self.max_price is not None
            or self.measurements_min
            or self.measurements_max
        )

    def is_empty(self) -> bool:
        return not (self.has_filters() or self.words or self.sku)

    def without_words(self) -> "ItemQuery":
        return replace(self, words=(), sku="")

    def describe(self) -> str:
        """A short phrase for replies: "Nike jackets in L under $50"."""
        parts: list[str] = []
        if self.colours:
            parts.append("/".join(self.colours))
        if self.eras:
            parts.append("/".join(self.eras))
        if self.brands:
            parts.append("/".join(self.brands))
        if self.kind_words:
            parts.append("/".join(self.kind_words))
        elif self.categories:
            parts.append("/".join(dict(Item.Category.choices)[c].split(" / ")[0].lower() for c in self.categories))
        elif self.words:
            parts.append(" ".join(self.words))
        else:
            parts.append("pieces")
        if self.sizes:
            parts.append("in " + "/".join(self.sizes))
        if self.waist:
            parts.append(f"in waist {self.waist}")
        for key, value in self.measurements_min:
            parts.append(f'with {key.replace("_", " ")} at least {value:g}"')
        for key, value in self.measurements_max:
            parts.append(f'with {key.replace("_", " ")} at most {value:g}"')
        if self.min_price is not None and self.max_price is not None:
            parts.append(f"between ${self.min_price:g} and ${self.max_price:g}")
        elif self.max_price is not None:
            parts.append(f"under ${self.max_price:g}")
        elif self.min_price is not None:
            parts.append(f"over ${self.min_price:g}")
        return " ".join(parts)


# --- Understanding a message ----------------------------------------------------------------------


def normalise(text: str) -> str:
    """Lower case, straight quotes, single spaces."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"\s+", " ", text.lower()).strip()


def canonical_size(size: str) -> str:
    """A size as the filters compare it: "large" → "L", "xl" → "XL", "32" → "32"."""
    size = normalise(size)
    return SIZE_WORDS.get(size, size.upper())


@lru_cache(maxsize=4096)
def brand_key(brand: str) -> str:
    """How a brand is compared: lower case, no apostrophes or punctuation ("Levi's" → "levis")."""
    return re.sub(r"[^a-z0-9 ]", "", brand.lower().replace("-", " ")).strip()


def known_brands() -> list[str]:
    """Every brand in the stock. On PostgreSQL a loose index scan over the brand index: one probe per
    brand, so it stays well under a millisecond with 50,000 items."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                """
                WITH RECURSIVE brands(brand) AS (
                    (SELECT brand FROM inventory_item WHERE brand > '' ORDER BY brand LIMIT 1)
                    UNION ALL
                    SELECT (SELECT i.brand FROM inventory_item i WHERE i.brand > b.brand ORDER BY i.brand LIMIT 1)
                    FROM brands b WHERE b.brand IS NOT NULL
                )
                SELECT brand FROM brands WHERE brand IS NOT NULL
                """
            )
            return [row[0] for row in cursor.fetchall()]
    return list(Item.objects.exclude(brand="").values_list("brand", flat=True).distinct().order_by("brand"))


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


def parse_search(text: str, *, brands: list[str] | None = None) -> ItemQuery:
    """What `text` asks for, as filters. `brands` is the stock's brand list (read from the database if None)."""
    rest = " " + normalise(text) + " "
    values: dict[str, object] = {}
    notes: list[str] = []

    skus = [token for token in find_skus(rest) if sum(ch.isdigit() for ch in token) >= 2 or token.count("-") >= 2]
    if skus:
        values["sku"] = skus[0]
        for sku in skus:
            rest = re.sub(re.escape(sku.lower()), " ", rest)

    # Measurements before prices: "pit to pit under 24" is inches, not dollars.
    minimums: dict[str, float] = {}
    maximums: dict[str, float] = {}
    for pattern in (MEASURE, MEASURE_REVERSED):
        while (match := pattern.search(rest)) is not None:
            key = MEASUREMENT_WORDS[match.group("name")]
            number = float(next(group for group in match.groups()[::-1] if group and re.fullmatch(NUMBER, group)))
            if match.group("name") == "chest" and number > 30:
                number = number / 2  # a chest measured all round is twice the pit-to-pit
            after = match.groupdict().get("after") or ""
            if match.groupdict().get("min") or after in ("+", "or more", "or bigger", "or longer", "plus", "min"):
                minimums[key] = number
            elif match.groupdict().get("max") or after in ("or less", "or smaller", "or shorter", "max"):
                maximums[key] = number
            else:
                minimums[key], maximums[key] = number - 1, number + 1
            rest = _cut(rest, match)

    # Waist: "waist 32", "32 waist", "w32", "32w", "32x30".
    waist = re.search(
        r"\b(?:waist\s*(?:size\s*)?(?:of\s*)?|w\s?)(\d{2})\b|\b(\d{2})\s*(?:w\b|waist\b|\"? waist)|\b(\d{2})\s?x\s?\d{2}\b",
        rest,
    )
    if waist:
        number = int(next(group for group in waist.groups() if group))
        if 22 <= number <= 48:
            values["waist"] = number
            rest = _cut(rest, waist)

    # Prices.
    for pattern, kind in PRICE_PATTERNS:
        match = pattern.search(rest)
        if match is None:
            continue
        numbers = [_money(group) for group in match.groups() if group]
        if None in numbers or not numbers:
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
        rest = _cut(rest, match)

    # Kind of garment (before sizes: "size 32 jeans" is a waist, "size 10 boots" a shoe size).
    categories: list[str] = []
    kind_words: list[str] = []
    for word, pattern in KIND_PATTERNS:
        match = pattern.search(rest) if word in rest else None
        if match is None:
            continue
        category = CATEGORY_FOR_WORD[word]
        if category not in categories:
            categories.append(category)
        kind_words.append(word)
        rest = _cut(rest, match)
    denim = re.search(r"\bdenim\b", rest)
    if denim and not categories:
        categories.append("jeans")
        kind_words.append("denim")
        rest = _cut(rest, denim)

    # Sizes.
    sizes: list[str] = []
    while (match := SIZE_WORD_PATTERN.search(rest)) is not None:
        sizes.append(SIZE_WORDS[match.group(1)])
        rest = _cut(rest, match)
    while (
        match := re.search(r"\b(?:size|sz|in|an?|fits?|fit me|wear|i'?m)\s+(?:an?\s+|size\s+)?(s|m|l)\b(?!')", rest)
    ) is not None:
        sizes.append(match.group(1).upper())
        rest = _cut(rest, match)
    if (match := re.search(r"\s(s|m|l)\s*[?!.]*\s*$", rest)) is not None:
        sizes.append(match.group(1).upper())
        rest = _cut(rest, match)
    numeric = re.search(
        r"\b(?:size|sz|fits?(?: an?)?(?: size)?|i'?m an?|i wear an?|wear an?)\s*(?:us\s*|uk\s*|eu\s*)?(\d{1,2}(?:\.5)?)\b",
        rest,
    )
    if numeric:
        number = float(numeric.group(1))
        label = numeric.group(1)
        if set(categories) & BOTTOMS and number >= 22 and "waist" not in values:
            values["waist"] = int(number)
        elif "shoes" in categories:
            sizes.append(label)
        else:
            sizes.append(label)
            letter = DRESS_SIZE_TO_LETTER.get(int(number)) if number == int(number) else None
            if letter:
                sizes.append(letter)
                notes.append(f"size {label} is usually an {letter}")
        rest = _cut(rest, numeric)

    # Era.
    eras: list[str] = []
    while (match := re.search(r"\b(?:19)?([5-9]0)'?s\b|\b'([5-9]0)s\b", rest)) is not None:
        eras.append((match.group(1) or match.group(2)) + "s")
        rest = _cut(rest, match)
    for era, pattern in ERA_PATTERNS:
        rest, found = pattern.subn(" ", rest)
        if found:
            eras.append(era)

    # Colours.
    colours: list[str] = []
    for colour, pattern in COLOUR_PATTERNS:
        rest, found = pattern.subn(" ", rest)
        if found and colour not in colours:
            colours.append(colour)

    # Brands: whole names first ("the north face"), then aliases, then a close spelling of one word.
    matched_brands: list[str] = []
    stock_brands = known_brands() if brands is None else brands
    by_key = {brand_key(brand): brand for brand in stock_brands if brand_key(brand)}
    keyed_rest = " " + re.sub(r"[^a-z0-9 ]", "", rest.replace("-", " ")) + " "
    for key in sorted(by_key, key=len, reverse=True):
        if f" {key} " in keyed_rest or (key.startswith("the ") and f" {key[4:]} " in keyed_rest):
            matched_brands.append(by_key[key])
            keyed_rest = keyed_rest.replace(f" {key} ", " ").replace(f" {key.removeprefix('the ')} ", " ")
    for alias, key in BRAND_ALIASES.items():
        target = by_key.get(brand_key(key))
        if target and target not in matched_brands and f" {alias} " in keyed_rest:
            matched_brands.append(target)
            keyed_rest = keyed_rest.replace(f" {alias} ", " ")
    words: list[str] = []
    for token in keyed_rest.split():
        if token in KEYED_STOPWORDS or len(token) < 3 or token.isdigit():
            continue
        if len(token) >= 5 and not matched_brands:
            close = difflib.get_close_matches(token, [key for key in by_key if " " not in key], n=1, cutoff=0.84)
            if close:
                matched_brands.append(by_key[close[0]])
                continue
        # Plural free words match their singular too ("windbreakers" finds "Windbreaker").
        words.append(token[:-1] if len(token) > 4 and token.endswith("s") and not token.endswith("ss") else token)

    if re.search(r"\b(cheapest|least expensive|lowest price|cheapest one|most affordable)\b", normalise(text)):
        values["cheapest"] = True
    return ItemQuery(
        words=tuple(dict.fromkeys(words)),
        brands=tuple(matched_brands),
        categories=tuple(categories),
        kind_words=tuple(kind_words),
        sizes=tuple(dict.fromkeys(sizes)),
        colours=tuple(colours),
        eras=tuple(dict.fromkeys(eras)),
        measurements_min=tuple(sorted(minimums.items())),
        measurements_max=tuple(sorted(maximums.items())),
        notes=tuple(notes),
        **values,  # type: ignore[arg-type]
    )


# --- Running a query ------------------------------------------------------------------------------


class WordSimilar(Func):
    """`'WORD' <% upper(column)`: the word is close to some word of the column (pg_trgm, GIN-indexable)."""

    arg_joiner = " <%% "
    template = "(%(expressions)s)"
    output_field = BooleanField()


def _size_q(sizes: tuple[str, ...]) -> Q:
    """Labels that are the size, as a whole word: "L", "Large", "Men's L", "L/XL", "M/L"; never "XL" or the
    "L30" of "W32 L30". Plain comparisons of upper(size_label) (no regular expression): cheap per row."""
    labels: list[str] = []
    for size in sizes:
        labels.extend(SIZE_LABEL_ALIASES.get(size, (size, f"US {size}", f"UK {size}", f"EU {size}")))
    size_q = Q(size_upper__in=list(dict.fromkeys(labels)))
    for label in dict.fromkeys(labels):
        size_q |= (
            Q(size_upper__startswith=f"{label}/")
            | Q(size_upper__endswith=f"/{label}")
            | Q(size_upper__endswith=f" {label}")
        )
    return size_q


def _waist_regex(waist: int) -> str:
    # "32", "W32", "32W", "32x30", "32/30", "W32 L30" but not the length in "30x32" or "L32".
    return rf"(^|W ?){waist}($|[^0-9])|^{waist} ?W"


def _candidates(*, now: datetime | None, available_only: bool) -> QuerySet[Item]:
    """Items a customer could hold now, or (for "tell me about it") every item that is not hidden."""
    if available_only:
        return Item.objects.filter(available_q(now=now))
    return Item.objects.exclude(status=Item.Status.HIDDEN)


def filtered(query: ItemQuery, *, now: datetime | None = None, available_only: bool = True) -> QuerySet[Item]:
    """Items matching every filter of `query` (not its free words)."""
    queryset = _candidates(now=now, available_only=available_only)
    if query.brands:
        queryset = queryset.filter(brand__in=query.brands)
    if query.categories:
        queryset = queryset.filter(category__in=query.categories)
    if query.sizes:
        queryset = queryset.alias(size_upper=Upper("size_label")).filter(_size_q(query.sizes))
    if query.waist:
        queryset = queryset.filter(
            Q(size_label__iregex=_waist_regex(query.waist))
            | Q(measurements__waist__gte=query.waist - 0.5, measurements__waist__lte=query.waist + 1)
        )
    if query.colours:
        colour_q = Q()
        for colour in query.colours:
            for word in COLOUR_WORDS.get(colour, (colour,)):
                colour_q |= Q(colour__icontains=word) | Q(name__icontains=word)
        queryset = queryset.filter(colour_q)
    if query.eras:
        era_q = Q()
        for era in query.eras:
            century = "20" if era in ("00s", "10s") else "19"
            era_q |= Q(era__iexact=era) | Q(era__iexact=century + era) | Q(era__iexact=era.replace("s", "'s"))
        queryset = queryset.filter(era_q)
    if query.min_price is not None:
        queryset = queryset.filter(price__gte=query.min_price)
    if query.max_price is not None:
        queryset = queryset.filter(price__lte=query.max_price)
    for key, value in query.measurements_min:
        queryset = queryset.filter(**{f"measurements__{key}__gte": value})
    for key, value in query.measurements_max:
        queryset = queryset.filter(**{f"measurements__{key}__lte": value})
    return queryset


TEXT_COLUMNS = ("name", "brand", "description")
# A word found in more items than this is too common to rank them all: the newest ones are ranked.
CANDIDATE_LIMIT = 2000


def _having_words(words: Iterable[str], *, columns: tuple[str, ...] = TEXT_COLUMNS, every: bool) -> Q:
    """Items with every word (or any word) somewhere in `columns`; in the SKU too for code-like words.

    On PostgreSQL this is `id IN (<one SELECT per column and word, combined with UNION / INTERSECT>)`:
    each SELECT is a single `upper(column) LIKE` that its trigram index answers, where one big OR over
    the columns would make the planner scan the whole table."""
    words = [word for word in words if word]
    if connection.vendor != "postgresql":
        per_word = []
        for word in words:
            word_q = _any_of(Q(**{f"{column}__icontains": word}) for column in columns)
            if any(ch.isdigit() for ch in word) or "-" in word:
                word_q |= Q(sku__icontains=word)
            per_word.append(word_q)
        return _all_of(per_word) if every else _any_of(per_word)
    selects, params = [], []
    for word in words:
        pattern = "%" + word.upper().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        word_columns = [*columns, "sku"] if any(ch.isdigit() for ch in word) or "-" in word else list(columns)
        selects.append(
            "("
            + " UNION ".join(f"SELECT id FROM inventory_item WHERE upper({column}) LIKE %s" for column in word_columns)
            + ")"
        )
        params.extend([pattern] * len(word_columns))
    if not selects:
        return Q()
    sql = (" INTERSECT " if every else " UNION ").join(selects)
    # The ids are read first (newest CANDIDATE_LIMIT of them) and handed back as a list: joined as a
    # subquery instead, the planner misjudges the other filters and scans the whole table for them.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM ({sql}) AS candidates ORDER BY id DESC LIMIT {CANDIDATE_LIMIT}", params)
        ids = [row[0] for row in cursor.fetchall()]
    # One array parameter, not thousands of placeholders (which cost more to build than the query takes).
    return Q(RawSQL('"inventory_item"."id" = ANY(%s)', [ids], output_field=BooleanField()))


def narrowing_words(query: ItemQuery) -> list[str]:
    """Specific garment words ("windbreaker", "puffer", "501") of categories the query names only that way."""
    generic_categories = {
        CATEGORY_FOR_WORD.get(word, "jeans") for word in query.kind_words if word in GENERIC_KIND_WORDS
    }
    words = []
    for word in query.kind_words:
        if word in GENERIC_KIND_WORDS or CATEGORY_FOR_WORD.get(word) in generic_categories:
            continue
        words.append(
            word[:-1] if len(word) > 4 and word.endswith("s") and not word.endswith("ss") else word.rstrip("s")
        )
    return words


def search_items(
    query: ItemQuery,
    *,
    limit: int = 5,
    now: datetime | None = None,
    available_only: bool = True,
    every_word: bool = False,
) -> list[Item]:
    """The best `limit` items for `query`: an exact SKU first, then the items with all the free words (or,
    failing that, any; or, on PostgreSQL, close spellings in the name), ranked by where the words are
    (name, then brand, then description), newest first on ties. With no free words, newest first.

    `every_word=True` is the plain contract of `selectors.search_available_items`: every item with all
    the free words somewhere, ranked, never the closest tier alone and never a looser match.

    Every text condition is `upper(column) LIKE` or `<%` on the trigram-indexed columns, and newest-first
    walks the created_at indexes, so a query over 50,000 items stays in single-digit milliseconds."""
    limit = max(0, min(limit, 50))
    now = now or timezone.now()
    exact: list[Item] = []
    if query.sku:
        exact = list(_candidates(now=now, available_only=available_only).filter(sku__iexact=query.sku))
    queryset = filtered(query, now=now, available_only=available_only).exclude(pk__in=[item.pk for item in exact])
    narrowing = narrowing_words(query)
    if narrowing:
        # "windbreakers" means windbreakers when there are some, other jackets only when there are none.
        named = _any_of(Q(name__icontains=word) for word in narrowing)
        if queryset.filter(named).exists():
            queryset = queryset.filter(named)
    words = tuple(word for word in (*query.words, *query.kind_words) if len(word) >= 3)
    found = list(exact)
    if query.cheapest and not query.words:
        return found + list(queryset.order_by("price", "-created_at", "-pk")[: limit - len(found)])
    if not query.words:
        # Garment words alone: the category (and any narrowing) already says it all, so newest first,
        # which walks the category index and stops after `limit` rows instead of ranking them all.
        return found + list(queryset.order_by("-created_at", "-pk")[: limit - len(found)])

    # Tiers, best first, each asked only while nothing is found: every word in the name; every word
    # anywhere (brand, description, a code in the SKU); any word in the name; any word anywhere; then
    # close spellings (PostgreSQL). Conditions on the name alone are single trigram-indexed LIKEs the
    # planner handles well; the others are resolved to ids first (see `_having_words`). A common word
    # in descriptions never makes the database rank thousands of rows when the names already answer.
    def excluding_found(queryset_: QuerySet[Item]) -> QuerySet[Item]:
        return queryset_.exclude(pk__in=[item.pk for item in found])

    def every_word_anywhere() -> list[Item]:
        return _ranked(
            excluding_found(queryset.filter(_having_words(query.words, every=True))), words, limit=limit - len(found)
        )

    if every_word:
        return found + every_word_anywhere()
    tiers: list[Callable[[], list[Item]]] = [
        lambda: list(
            excluding_found(queryset.filter(_all_of(Q(name__icontains=word) for word in query.words))).order_by(
                "-created_at", "-pk"
            )[: limit - len(found)]
        ),
        every_word_anywhere,
    ]
    if len(query.words) > 1:
        tiers += [
            lambda: _ranked(
                excluding_found(queryset.filter(_any_of(Q(name__icontains=word) for word in query.words))),
                words,
                limit=limit - len(found),
            ),
            lambda: _ranked(
                excluding_found(queryset.filter(_having_words(query.words, every=False))),
                words,
                limit=limit - len(found),
            ),
        ]
    for tier in tiers:
        found += tier()
        # A better tier's matches are not padded out with a worse tier's: fewer, closer answers.
        if len(found) > len(exact):
            return found
    long_words = [word for word in query.words if len(word) >= 4]
    if len(found) == len(exact) and long_words and connection.vendor == "postgresql":
        # Nothing has the words as typed: look for close spellings ("windbraker") in names.
        close = queryset.filter(_any_of(Q(WordSimilar(Value(word.upper()), Upper("name"))) for word in long_words))
        found += _ranked(close, words, limit=limit - len(found), fuzzy=True)
    return found


def _ranked(queryset: QuerySet[Item], words: tuple[str, ...], *, limit: int, fuzzy: bool = False) -> list[Item]:
    """The best `limit` of `queryset` by where the words are: name 3, brand 2, description 1 (plus the
    trigram similarity of the name for close spellings), newest first on ties."""
    if limit <= 0:
        return []
    if connection.vendor != "postgresql":
        return _rank_in_python(queryset, words, limit)
    rank = Value(0.0, output_field=FloatField())
    for word in words:
        for column, weight in (("name", 3.0), ("brand", 2.0), ("description", 1.0)):
            rank = rank + Case(
                When(**{f"{column}__icontains": word}, then=Value(weight)),
                default=Value(0.0),
                output_field=FloatField(),
            )
        if fuzzy:
            rank = rank + TrigramWordSimilarity(Value(word.upper()), Upper("name"))
    return list(queryset.annotate(rank=rank).order_by(F("rank").desc(), "-created_at", "-pk")[:limit])


def _all_of(conditions: Iterable[Q]) -> Q:
    combined = Q()
    for condition in conditions:
        combined &= condition
    return combined


def _any_of(conditions: Iterable[Q]) -> Q:
    combined = Q()
    for condition in conditions:
        combined |= condition
    return combined


def _rank_in_python(queryset: QuerySet[Item], words: tuple[str, ...], limit: int) -> list[Item]:
    candidates = list(queryset.order_by("-created_at", "-pk")[:500])

    def score(item: Item) -> float:
        total = 0.0
        for word in words:
            for text, weight in ((item.name, 3.0), (item.brand, 2.0), (item.sku, 2.0), (item.description, 1.0)):
                if word.lower() in text.lower():
                    total += weight
        return total

    return sorted(candidates, key=score, reverse=True)[:limit]


def search_items_or_filters(
    query: ItemQuery, *, limit: int = 5, now: datetime | None = None
) -> tuple[list[Item], bool]:
    """`search_items`, and if its free words find nothing, the filters alone: (items, whether relaxed)."""
    results = search_items(query, limit=limit, now=now)
    if not results and query.words and query.has_filters():
        return search_items(query.without_words(), limit=limit, now=now), True
    return results, False


def search(text: str, *, limit: int = 5) -> list[Item]:
    """Available items for a customer's words; if the free words find nothing, the filters alone."""
    return search_items_or_filters(parse_search(text), limit=limit)[0]
