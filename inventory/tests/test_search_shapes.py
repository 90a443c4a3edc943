"""inventory.search compiles a search of filters alone once per shape: each run must still answer its own brands,
prices, time and garment words, never the first run's."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conversations.models import Customer
from inventory.item_query import ItemQuery
from inventory.models import Item
from inventory.search import search_items
from inventory.services import reserve_item


def piece(sku: str, *, brand: str, price: str, name: str = "Jacket", category: str = "jacket", **fields) -> Item:
    return Item.objects.create(sku=sku, name=name, brand=brand, category=category, price=Decimal(price), **fields)


def skus(items: list[Item]) -> list[str]:
    return [item.sku for item in items]


@pytest.fixture
def jackets(db):
    piece("TST-NIKE-1", brand="Nike", price="40", size_label="L")
    piece("TST-NIKE-2", brand="Nike", price="90", size_label="M")
    piece("TST-LEVI-1", brand="Levi's", price="60", size_label="L")
    piece("TST-CARH-1", brand="Carhartt", price="120", size_label="L")


def test_the_same_shape_answers_each_runs_own_brands(jackets):
    first = search_items(ItemQuery(brands=("Nike",), categories=("jacket",)), limit=5)
    second = search_items(ItemQuery(brands=("Levi's",), categories=("jacket",)), limit=5)
    both = search_items(ItemQuery(brands=("Carhartt", "Levi's"), categories=("jacket",)), limit=5)

    assert sorted(skus(first)) == ["TST-NIKE-1", "TST-NIKE-2"]
    assert skus(second) == ["TST-LEVI-1"]
    assert sorted(skus(both)) == ["TST-CARH-1", "TST-LEVI-1"]


def test_the_same_shape_answers_each_runs_own_prices(jackets):
    under_50 = search_items(ItemQuery(categories=("jacket",), max_price=Decimal("50")), limit=5)
    under_100 = search_items(ItemQuery(categories=("jacket",), max_price=Decimal("100")), limit=5)
    between = search_items(
        ItemQuery(categories=("jacket",), min_price=Decimal("50"), max_price=Decimal("100")), limit=5
    )
    cheapest = search_items(ItemQuery(categories=("jacket",), min_price=Decimal("55"), cheapest=True), limit=2)

    assert skus(under_50) == ["TST-NIKE-1"]
    assert sorted(skus(under_100)) == ["TST-LEVI-1", "TST-NIKE-1", "TST-NIKE-2"]
    assert sorted(skus(between)) == ["TST-LEVI-1", "TST-NIKE-2"]
    assert skus(cheapest) == ["TST-LEVI-1", "TST-NIKE-2"]


def test_each_run_reads_availability_at_its_own_time(jackets):
    customer = Customer.objects.create(tiktok_user_id="shape-buyer", username="shape_buyer")
    reserve_item(sku="TST-NIKE-1", customer=customer, hours=1)
    now = timezone.now()
    query = ItemQuery(brands=("Nike",), categories=("jacket",))

    assert skus(search_items(query, limit=5, now=now)) == ["TST-NIKE-2"]
    assert sorted(skus(search_items(query, limit=5, now=now + timedelta(hours=2)))) == ["TST-NIKE-1", "TST-NIKE-2"]


def test_garment_words_narrow_only_when_some_pieces_are_named_so(jackets):
    piece("TST-WB-1", brand="Nike", price="45", name="Nike Windbreaker", size_label="L")
    windbreakers = ItemQuery(brands=("Nike",), categories=("jacket",), kind_words=("windbreakers",))
    bombers = ItemQuery(brands=("Levi's",), categories=("jacket",), kind_words=("windbreakers",))

    assert skus(search_items(windbreakers, limit=5)) == ["TST-WB-1"]
    # No Levi's windbreaker: every Levi's jacket, in the same shape as the first run.
    assert skus(search_items(bombers, limit=5)) == ["TST-LEVI-1"]


def test_a_compiled_search_is_one_statement(jackets):
    query = ItemQuery(brands=("Nike",), categories=("jacket",), sizes=("L",), max_price=Decimal("80"))
    search_items(query, limit=5)  # compiled here

    with CaptureQueriesContext(connection) as queries:
        found = search_items(query, limit=5)

    assert skus(found) == ["TST-NIKE-1"]
    assert len(queries) == 1


def test_no_room_finds_nothing(jackets):
    assert search_items(ItemQuery(categories=("jacket",)), limit=0) == []
