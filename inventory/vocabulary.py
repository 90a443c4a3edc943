"""The shop's words, shared by the side that reads a DM (`assistant.language`) and the side that ranks the
stock (`inventory.search`): garment words and the categories they name, size names, colour spellings.

Pure data and pure functions: no database, no Django.
"""

import re

# --- Garments -------------------------------------------------------------------------------------

# Garment words → `Item.Category` value → families of spellings. Each family is one kind of piece however
# customers spell it ("hoodie", "hoody", "hoodies"); the FIRST family of a category names the whole
# category ("jackets", "coats"), any other family narrows the search to the pieces named that way
# ("windbreakers"; other jackets only when no name says so).
GARMENT_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "jacket": {
        "jacket": ("jacket", "jackets", "coat", "coats", "outerwear"),
        "windbreaker": (
            "windbreaker",
            "windbreakers",
            "windcheater",
            "windcheaters",
            "shell jacket",
            "shell jackets",
            "shell",
        ),
        "puffer": (
            "puffer",
            "puffers",
            "puffer jacket",
            "puffer jackets",
            "puffa",
            "down jacket",
            "down jackets",
            "down coat",
            "down coats",
        ),
        "parka": ("parka", "parkas"),
        "bomber": ("bomber", "bombers"),
        "anorak": ("anorak", "anoraks"),
        "blazer": ("blazer", "blazers"),
        "trucker": ("trucker", "truckers"),
        "varsity": ("varsity",),
    },
    "sweatshirt": {
        "sweatshirt": ("sweatshirt", "sweatshirts", "sweats"),
        "hoodie": (
            "hoodie",
            "hoodies",
            "hoody",
            "hoodys",
            "pullover hoodie",
            "pullover hoodies",
            "zip hoodie",
            "zip hoodies",
            "zip-up hoodie",
        ),
        "crewneck": ("crewneck", "crewnecks", "crew neck", "crew necks"),
        "quarter zip": ("quarter zip", "quarter-zip", "quarter zips", "half zip", "half-zip"),
    },
    "sweater": {
        "sweater": (
            "sweater",
            "sweaters",
            "jumper",
            "jumpers",
            "pullover",
            "pullovers",
            "knit",
            "knits",
            "knitwear",
        ),
        "cardigan": ("cardigan", "cardigans", "cardi", "cardis"),
    },
    "shirt": {
        "shirt": ("shirt", "shirts"),
        "button up": ("button up", "button-up", "button ups", "button down", "button-down", "button downs"),
        "flannel": ("flannel", "flannels"),
        "blouse": ("blouse", "blouses"),
        "polo": ("polo", "polos"),
    },
    "tshirt": {
        "t-shirt": (
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
        ),
        "graphic tee": ("graphic tee", "graphic tees"),
        "band tee": ("band tee", "band tees"),
    },
    "jeans": {
        "jeans": ("jeans", "jean"),
        "501": ("501", "501s"),
        "505": ("505", "505s"),
    },
    "trousers": {
        "trousers": ("trousers", "trouser", "pants", "slacks"),
        "chinos": ("chinos", "chino"),
        "cargos": ("cargos", "cargo pants"),
        "joggers": ("joggers", "trackpants", "track pants"),
    },
    "shorts": {
        "shorts": ("shorts",),
        "jorts": ("jorts",),
    },
    "dress": {
        "dress": ("dress", "dresses"),
        "sundress": ("sundress", "sundresses"),
    },
    "skirt": {
        "skirt": ("skirt", "skirts"),
        "mini skirt": ("mini skirt", "mini skirts", "miniskirt", "miniskirts"),
    },
    "shoes": {
        "shoes": ("shoes", "shoe", "footwear"),
        "sneakers": ("sneakers", "sneaker", "trainers", "trainer", "kicks"),
        "boots": ("boots", "boot"),
        "loafers": ("loafers", "loafer"),
    },
    "accessory": {
        "accessory": ("accessory", "accessories"),
        "hat": ("hat", "hats", "cap", "caps", "beanie", "beanies"),
        "bag": ("bag", "bags"),
        "belt": ("belt", "belts"),
        "scarf": ("scarf", "scarves"),
    },
}
# Words that name several categories at once ("any tops under $30?"). Only plurals: "the top one" is a pointer.
SEVERAL_CATEGORIES_WORDS: dict[str, tuple[str, ...]] = {
    "tops": ("tshirt", "shirt", "sweatshirt", "sweater"),
    "bottoms": ("jeans", "trousers", "shorts", "skirt"),
}
# "denim" names jeans, unless another garment word says what is made of it ("denim jacket").
DENIM_WORD = "denim"
BOTTOMS = frozenset({"jeans", "trousers", "shorts"})

CATEGORY_FOR_WORD: dict[str, str] = {
    word: category for category, families in GARMENT_WORDS.items() for words in families.values() for word in words
}
FAMILY_FOR_WORD: dict[str, str] = {
    word: family for families in GARMENT_WORDS.values() for family, words in families.items() for word in words
}
GENERIC_KIND_WORDS: frozenset[str] = frozenset(
    {word for families in GARMENT_WORDS.values() for word in next(iter(families.values()))}
    | set(SEVERAL_CATEGORIES_WORDS)
    | {DENIM_WORD}
)


def categories_for_word(word: str) -> tuple[str, ...]:
    """The categories a garment word names: "hoody" → ("sweatshirt",), "tops" → four, "denim" → ("jeans",)."""
    if word in CATEGORY_FOR_WORD:
        return (CATEGORY_FOR_WORD[word],)
    if word == DENIM_WORD:
        return ("jeans",)
    return SEVERAL_CATEGORIES_WORDS.get(word, ())


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 4 and word.endswith("s") and not word.endswith("ss") else word


def _name_words(words: tuple[str, ...]) -> tuple[str, ...]:
    """The spellings an item's name would contain: singular, and none that contains another ("shell jacket"
    is found by "shell")."""
    singular = list(dict.fromkeys(_singular(word) for word in words))
    return tuple(word for word in singular if not any(other != word and other in word for other in singular))


# A family's words as they appear in item names: what "hoody" narrows by is what "hoodies" narrows by.
NAME_WORDS_FOR_FAMILY: dict[str, tuple[str, ...]] = {
    family: _name_words(words) for families in GARMENT_WORDS.values() for family, words in families.items()
}

# --- Sizes ----------------------------------------------------------------------------------------

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


def canonical_size(size: str) -> str:
    """A size as the filters compare it: "large" → "L", "xl" → "XL", "32" → "32"."""
    size = re.sub(r"\s+", " ", size.lower()).strip()
    return SIZE_WORDS.get(size, size.upper())


# --- Colours --------------------------------------------------------------------------------------

# Each colour and how it is spelled in names and colour fields.
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
COLOUR_FOR_WORD.update({"multicolour": "multi", "multicolor": "multi"})
