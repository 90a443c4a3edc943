"""inventory.search: understanding a customer's words, ranking on PostgreSQL, and the SQLite branch."""

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection

from conversations.models import Customer
from inventory.models import Item
from inventory.search import find_skus, parse_search, search, search_items
from inventory.seed_data import SEED_ITEMS
from inventory.services import add_items, reserve_item

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
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def stock(db):
    return {item.sku: item for item in add_items(items=SEED_ITEMS)}


def skus(items) -> list[str]:
    return [item.sku for item in items]


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


def test_find_skus_reads_codes_in_any_case_and_ignores_ordinary_words():
    assert find_skus("is vnt-nike-wb-001 or VNT-LEVI-501-003 still there? t-shirt W32-L30") == [
        "VNT-NIKE-WB-001",
        "VNT-LEVI-501-003",
        "W32-L30",
    ]


def test_an_exact_sku_comes_first(stock):
    results = search_items(parse_search("VNT-NIKE-SWSH-014 nike"), limit=5)

    assert skus(results)[0] == "VNT-NIKE-SWSH-014"


def test_brand_kind_and_size_filters(stock):
    assert skus(search("got any nike jackets in L?")) == ["VNT-NIKE-WB-001"]


def test_l_never_matches_xl_or_a_length(stock):
    Item.objects.create(sku="TST-LABEL-1", name="Mens Large Shirt", category="shirt", price=10, size_label="Men's L")
    Item.objects.create(sku="TST-LABEL-2", name="Two Size Shirt", category="shirt", price=10, size_label="L/XL")

    results = skus(search_items(parse_search("large"), limit=50))

    assert set(results) == {
        "VNT-NIKE-WB-001",
        "VNT-CARH-DJ-002",
        "VNT-PATA-SNAP-005",
        "VNT-TOMMY-RUG-011",
        "VNT-LEVI-TRUC-015",
        "TST-LABEL-1",
        "TST-LABEL-2",
    }


def test_waist_matches_labels_and_measurements_not_lengths(stock):
    Item.objects.create(sku="TST-WAIST-1", name="Long Jeans", category="jeans", price=10, size_label="W30 L32")

    assert skus(search("jeans waist 32")) == ["VNT-LEVI-501-003"]


def test_measurement_and_price_filters(stock):
    assert sorted(skus(search("jackets with pit to pit at least 25 under $130"))) == [
        "VNT-CARH-DJ-002",
        "VNT-COLM-BUG-013",
    ]


def test_specific_garment_words_narrow_the_category(stock):
    assert skus(search("any windbreakers?")) == ["VNT-NIKE-WB-001"]
    assert len(search("any jackets?", limit=10)) == 8


def test_a_specific_word_with_no_match_falls_back_to_the_category(stock):
    assert len(search("any bombers?", limit=10)) == 8


def test_words_in_the_name_rank_above_words_in_the_description(stock):
    Item.objects.create(
        sku="TST-DESC-1", name="Plain Jacket", category="jacket", price=10, description="not a trucker at all"
    )

    assert skus(search_items(parse_search("trucker"), limit=5))[:2] == ["VNT-LEVI-TRUC-015", "VNT-WRNG-TRUC-010"]


def test_misspelled_words_still_find_items_on_postgresql(stock):
    assert skus(search("windbraker")) == ["VNT-NIKE-WB-001"]


def test_held_sold_and_hidden_items_are_left_out_but_expired_holds_count_as_available(stock):
    customer = Customer.objects.create(tiktok_user_id="searcher")
    reserve_item(sku="VNT-NIKE-WB-001", customer=customer)
    Item.objects.filter(sku="VNT-NIKE-SWSH-014").update(status="hidden")

    assert skus(search("nike")) == []
    Item.objects.filter(sku="VNT-NIKE-WB-001").update(held_until="2000-01-01T00:00:00Z")
    assert skus(search("nike")) == ["VNT-NIKE-WB-001"]


def test_the_text_conditions_are_the_ones_the_trigram_indexes_answer(stock):
    """The expressions in the SQL must match the indexes of inventory migration 0002 exactly; with
    sequential scans disabled the plan shows whether they can be used at all."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for column in ("name", "brand", "description"):
            queryset = Item.objects.filter(**{f"{column}__icontains": "nike"}).order_by().values("id")
            cursor.execute("EXPLAIN " + str(queryset.query).replace("%nike%", "'%nike%'").replace("%%", "%"))
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert f"inventory_item_{column}_trgm" in plan, plan
        cursor.execute("EXPLAIN SELECT id FROM inventory_item WHERE 'NIKEE' <% upper(name)")
        assert "inventory_item_name_trgm" in "\n".join(row[0] for row in cursor.fetchall())


def test_search_works_on_the_embedded_sqlite_default(tmp_path):
    """The embedded default runs on SQLite: the same search in a separate process on a SQLite file."""
    script = """
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from inventory.seed_data import SEED_ITEMS
from inventory.services import add_items
from inventory.search import search
from inventory.selectors import search_available_items
add_items(items=SEED_ITEMS)
queries = ["got any nike jackets in L?", "levis w32 under $60", "any windbreakers?", "trucker", "jackets pit to pit at least 25"]
found = {query: [item.sku for item in search(query)] for query in queries}
found["contract: trucker jacket, L"] = [item.sku for item in search_available_items("trucker jacket", size="large")]
found["contract: vnt-nike-wb-001"] = [item.sku for item in search_available_items("vnt-nike-wb-001")]
print(json.dumps(found))
"""
    environment = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'embedded.sqlite3'}",
        "REDIS_URL": "",
        "DJANGO_SETTINGS_MODULE": "philia.settings",
        "LOG_LEVEL": "ERROR",
    }
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found == {
        "got any nike jackets in L?": ["VNT-NIKE-WB-001"],
        "levis w32 under $60": ["VNT-LEVI-501-003"],
        "any windbreakers?": ["VNT-NIKE-WB-001"],
        "trucker": ["VNT-LEVI-TRUC-015", "VNT-WRNG-TRUC-010"],
        "jackets pit to pit at least 25": ["VNT-COLM-BUG-013", "VNT-TNF-NUP-009", "VNT-CARH-DJ-002"],
        "contract: trucker jacket, L": ["VNT-LEVI-TRUC-015"],
        "contract: vnt-nike-wb-001": ["VNT-NIKE-WB-001"],
    }
