"""inventory.search: structured filters (`ItemQuery`) → ranked items.

Reading a customer's words into an `ItemQuery` is tested with the assistant (assistant/tests/test_language.py);
here the queries are written out as the reader produces them."""

from dataclasses import replace
from decimal import Decimal

import pytest
from django.db import connection

from conversations.models import Customer
from inventory.item_query import ItemQuery
from inventory.models import Item
from inventory.search import narrowing_words, search_items, search_items_or_filters
from inventory.seed_data import SEED_ITEMS
from inventory.services import add_items, reserve_item


@pytest.fixture
def stock(db):
    return {item.sku: item for item in add_items(items=SEED_ITEMS)}


def skus(items) -> list[str]:
    return [item.sku for item in items]


def search(query: ItemQuery, *, limit: int = 5) -> list[Item]:
    """What the assistant lists: the query's items, or the filters' alone when its free words find nothing."""
    return search_items_or_filters(query, limit=limit)[0]


NIKE_JACKETS_IN_L = ItemQuery(brands=("Nike",), categories=("jacket",), kind_words=("jackets",), sizes=("L",))
JACKETS = ItemQuery(categories=("jacket",), kind_words=("jackets",))


def test_an_exact_sku_comes_first(stock):
    results = search_items(ItemQuery(sku="VNT-NIKE-SWSH-014", brands=("Nike",)), limit=5)

    assert skus(results)[0] == "VNT-NIKE-SWSH-014"


def test_brand_kind_and_size_filters(stock):
    assert skus(search(NIKE_JACKETS_IN_L)) == ["VNT-NIKE-WB-001"]


def test_l_never_matches_xl_or_a_length(stock):
    Item.objects.create(sku="TST-LABEL-1", name="Mens Large Shirt", category="shirt", price=10, size_label="Men's L")
    Item.objects.create(sku="TST-LABEL-2", name="Two Size Shirt", category="shirt", price=10, size_label="L/XL")

    results = skus(search_items(ItemQuery(sizes=("L",)), limit=50))

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

    assert skus(search(ItemQuery(categories=("jeans",), kind_words=("jeans",), waist=32))) == ["VNT-LEVI-501-003"]


def test_measurement_and_price_filters(stock):
    assert sorted(
        skus(search(replace(JACKETS, measurements_min=(("pit_to_pit", 25.0),), max_price=Decimal("130"))))
    ) == [
        "VNT-CARH-DJ-002",
        "VNT-COLM-BUG-013",
    ]


def test_specific_garment_words_narrow_the_category(stock):
    assert skus(search(replace(JACKETS, kind_words=("windbreakers",)))) == ["VNT-NIKE-WB-001"]
    assert len(search(JACKETS, limit=10)) == 8


def test_a_specific_word_with_no_match_falls_back_to_the_category(stock):
    assert len(search(replace(JACKETS, kind_words=("bombers",)), limit=10)) == 8


def test_words_in_the_name_rank_above_words_in_the_description(stock):
    Item.objects.create(
        sku="TST-DESC-1", name="Plain Jacket", category="jacket", price=10, description="not a trucker at all"
    )

    assert skus(search_items(ItemQuery(words=("trucker",)), limit=5))[:2] == ["VNT-LEVI-TRUC-015", "VNT-WRNG-TRUC-010"]


def test_misspelled_words_still_find_items_on_postgresql(stock):
    assert skus(search(ItemQuery(words=("windbraker",)))) == ["VNT-NIKE-WB-001"]


def test_held_sold_and_hidden_items_are_left_out_but_expired_holds_count_as_available(stock):
    customer = Customer.objects.create(tiktok_user_id="searcher")
    reserve_item(sku="VNT-NIKE-WB-001", customer=customer)
    Item.objects.filter(sku="VNT-NIKE-SWSH-014").update(status="hidden")

    assert skus(search(ItemQuery(brands=("Nike",)))) == []
    Item.objects.filter(sku="VNT-NIKE-WB-001").update(held_until="2000-01-01T00:00:00Z")
    assert skus(search(ItemQuery(brands=("Nike",)))) == ["VNT-NIKE-WB-001"]


@pytest.mark.parametrize(
    ("category", "ceiling", "expected"),
    [
        ("tshirt", "80", ["VNT-HARL-TEE-008"]),
        ("tshirt", "30", []),
        ("sweatshirt", "40", ["VNT-NIKE-SWSH-014"]),
        ("jacket", "50", ["VNT-WRNG-TRUC-010", "VNT-ADID-TT-004", "VNT-NIKE-WB-001"]),
        ("jacket", "30", []),
    ],
)
def test_a_category_and_a_price_ceiling_find_only_that_kind_at_or_below_the_price(stock, category, ceiling, expected):
    assert skus(search(ItemQuery(categories=(category,), max_price=Decimal(ceiling)), limit=10)) == expected


def test_free_words_that_find_nothing_fall_back_to_the_filters_with_the_price_kept(stock):
    items, relaxed = search_items_or_filters(replace(JACKETS, words=("shiny",), max_price=Decimal("50")))

    assert (skus(items), relaxed) == (["VNT-WRNG-TRUC-010", "VNT-ADID-TT-004", "VNT-NIKE-WB-001"], True)


@pytest.mark.parametrize("spelling", ["hoodie", "hoodies", "hoody", "hoodys"])
def test_every_spelling_of_a_specific_kind_narrows_to_the_pieces_named_any_of_those_ways(stock, spelling):
    Item.objects.create(sku="TST-HOODIE-1", name="Nike Pullover Hoodie", category="sweatshirt", price=30)
    Item.objects.create(sku="TST-HOODY-2", name="Champion Zip Hoody", category="sweatshirt", price=30)
    query = ItemQuery(categories=("sweatshirt",), kind_words=(spelling,))

    assert narrowing_words(query) == ["hoodie", "hoody"]
    assert skus(search(query)) == ["TST-HOODY-2", "TST-HOODIE-1"]


def test_a_category_named_generically_is_not_narrowed_by_a_specific_word_beside_it(stock):
    query = replace(JACKETS, kind_words=("windbreakers", "jackets"))

    assert narrowing_words(query) == []
    assert len(search(query, limit=10)) == 8


def test_sneakers_trainers_and_kicks_narrow_alike():
    for spelling in ("sneakers", "trainers", "kicks"):
        assert narrowing_words(ItemQuery(categories=("shoes",), kind_words=(spelling,))) == [
            "sneaker",
            "trainer",
            "kick",
        ]


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
