"""assistant.language: reading a customer's words into filters (`parse_search`, `find_skus`, `normalise`).

Pure functions of the text (the stock's brands are passed in), except where a test says it reads the stock.
"""

from decimal import Decimal

import pytest

from assistant import language
from assistant.language import find_skus, normalise, parse_search
from inventory.models import Item
from inventory.vocabulary import CATEGORY_FOR_WORD, GARMENT_WORDS, SEVERAL_CATEGORIES_WORDS

BRANDS = [
    "Nike",
    "Levi's",
    "Carhartt",
    "The North Face",
    "Adidas",
    "Champion",
    "Ralph Lauren",
    "Harley-Davidson",
    "Guess",
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("got any nike jackets in L?", {"brands": ("Nike",), "categories": ("jacket",), "sizes": ("L",)}),
        ("levis w32 under $40", {"brands": ("Levi's",), "waist": 32, "max_price": Decimal("40")}),
        ("size 32 jeans", {"categories": ("jeans",), "waist": 32}),
        ("jeans 32x30", {"categories": ("jeans",), "waist": 32}),
        ("any hoodies in large", {"categories": ("sweatshirt",), "sizes": ("L",)}),
        ("fits a size 10", {"sizes": ("10", "M")}),
        ("i'm a medium", {"sizes": ("M",)}),
        ("XL tees", {"categories": ("tshirt",), "sizes": ("XL",)}),
        (
            "90s windbreakers pit to pit at least 22",
            {"eras": ("90s",), "categories": ("jacket",), "measurements_min": (("pit_to_pit", 22.0),)},
        ),
        ("p2p 24+", {"measurements_min": (("pit_to_pit", 24.0),)}),
        ("length under 28", {"measurements_max": (("length", 28.0),)}),
        ("chest 44", {"measurements_min": (("pit_to_pit", 21.0),), "measurements_max": (("pit_to_pit", 23.0),)}),
        ("carhart coat", {"brands": ("Carhartt",), "categories": ("jacket",)}),
        ("tnf puffer", {"brands": ("The North Face",), "categories": ("jacket",)}),
        ("adiddas track jacket", {"brands": ("Adidas",), "words": ("track",)}),
        (
            "green crewneck between $20 and $35",
            {"colours": ("green",), "min_price": Decimal("20"), "max_price": Decimal("35")},
        ),
        (
            "1980s champion sweatshirt around $50",
            {"eras": ("80s",), "brands": ("Champion",), "min_price": Decimal("38")},
        ),
        ("y2k baby tee", {"eras": ("00s",), "words": ("baby",)}),
        ("gray or grey hoodie", {"colours": ("grey",)}),
        ("anything under 40 bucks", {"max_price": Decimal("40")}),
    ],
)
def test_parse_search_understands_customer_words(text, expected):
    query = parse_search(text, brands=BRANDS)

    for field, value in expected.items():
        assert getattr(query, field) == value, field


@pytest.mark.parametrize(
    ("family", "spellings", "categories"),
    [
        (
            "t-shirt",
            ["tee", "tees", "t-shirt", "t shirt", "tshirt", "tee shirt", "tee shirts", "tee-shirt"],
            ("tshirt",),
        ),
        ("hoodie", ["hoodie", "hoody", "hoodies", "hoodys", "sweatshirt", "crewneck", "crew necks"], ("sweatshirt",)),
        ("sneakers", ["trainers", "sneakers", "sneaker", "kicks", "shoes"], ("shoes",)),
        ("sweater", ["jumper", "sweater", "pullover", "pullovers", "knit", "knitwear"], ("sweater",)),
        ("trousers", ["trousers", "pants", "slacks"], ("trousers",)),
        ("jeans", ["denim", "jeans", "jean"], ("jeans",)),
        ("windbreaker", ["windbreaker", "windbreakers", "shell jacket", "windcheater"], ("jacket",)),
        ("puffer", ["puffer", "puffer jacket", "down jacket", "down coat"], ("jacket",)),
        ("hat", ["cap", "caps", "hat", "hats", "beanie"], ("accessory",)),
        ("tops", ["tops"], ("tshirt", "shirt", "sweatshirt", "sweater")),
        ("bottoms", ["bottoms"], ("jeans", "trousers", "shorts", "skirt")),
    ],
)
def test_every_spelling_of_a_garment_reads_as_its_category(family, spellings, categories):
    for spelling in spellings:
        query = parse_search(f"any {spelling}?", brands=BRANDS)

        assert (query.categories, query.kind_words, query.words) == (categories, (spelling,), ()), spelling


def test_a_pullover_hoodie_is_a_hoodie_and_not_also_a_sweater():
    query = parse_search("pullover hoodie in L", brands=BRANDS)

    assert (query.categories, query.kind_words, query.sizes) == (("sweatshirt",), ("pullover hoodie",), ("L",))


def test_a_tee_shirt_is_a_t_shirt_and_not_also_a_shirt():
    assert parse_search("tee shirts under 30", brands=BRANDS).categories == ("tshirt",)
    assert parse_search("flannel shirt", brands=BRANDS).categories == ("shirt",)


def test_denim_names_jeans_unless_another_garment_word_says_what_is_denim():
    assert parse_search("denim under $60", brands=BRANDS).categories == ("jeans",)
    query = parse_search("denim jackets", brands=BRANDS)
    assert (query.categories, query.words) == (("jacket",), ("denim",))


def test_every_garment_word_names_a_category_of_the_stock():
    categories = set(Item.Category.values)

    assert set(GARMENT_WORDS) <= categories
    assert set(CATEGORY_FOR_WORD.values()) <= categories
    assert {category for named in SEVERAL_CATEGORIES_WORDS.values() for category in named} <= categories


@pytest.mark.parametrize(
    ("text", "category", "ceiling"),
    [
        ("tees under $30", "tshirt", "30"),
        ("hoodies below 40", "sweatshirt", "40"),
        ("any jackets under $50?", "jacket", "50"),
        ("t shirts for less than 25 dollars", "tshirt", "25"),
        ("kicks under 100", "shoes", "100"),
        ("jumpers $60 or less", "sweater", "60"),
        ("any hoodys up to $45 pls", "sweatshirt", "45"),
    ],
)
def test_a_garment_word_and_a_price_ceiling_are_both_read(text, category, ceiling):
    query = parse_search(text, brands=BRANDS)

    assert (query.categories, query.max_price, query.min_price, query.words) == (
        (category,),
        Decimal(ceiling),
        None,
        (),
    )


def test_find_skus_reads_codes_in_any_case_and_ignores_ordinary_words():
    assert find_skus("is vnt-nike-wb-001 or VNT-LEVI-501-003 still there? t-shirt W32-L30") == [
        "VNT-NIKE-WB-001",
        "VNT-LEVI-501-003",
        "W32-L30",
    ]


def test_normalise_lowers_straightens_quotes_and_squeezes_spaces():
    assert normalise("  I\u2019ll  TAKE \u201cit\u201d\n ") == 'i\'ll take "it"'


def test_shorthand_is_spelled_out_before_the_checks_read_it():
    text = language.spelled_out(normalise("wat sizes r avail 4 the levis"))

    assert text == "what sizes are available for the levis"
    assert language.asks_details(text)


def test_parse_search_reads_the_stocks_brands_when_none_are_given(db):
    Item.objects.create(sku="TST-BRAND-1", name="Work Jacket", brand="Dickies", category="jacket", price=30)

    assert parse_search("dickies jackets").brands == ("Dickies",)
