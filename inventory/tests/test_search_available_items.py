from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.exceptions import ItemNotFound
from inventory.models import Item
from inventory.selectors import get_item, search_available_items
from philia.tests.factories import make_customer, make_item

pytestmark = pytest.mark.django_db


def skus(items: list[Item]) -> list[str]:
    return [item.sku for item in items]


def test_every_word_must_match_name_brand_description_or_sku_in_any_case():
    make_item("NK-1", name="Vintage Nike Windbreaker", brand="Nike", size_label="L")
    make_item("NK-2", name="Center Swoosh Sweatshirt", brand="Nike", size_label="M")
    make_item("AD-3", name="Track Jacket", brand="Adidas", description="Windbreaker-weight nylon")

    assert skus(search_available_items("nike WINDBREAKER")) == ["NK-1"]
    assert sorted(skus(search_available_items("windbreaker"))) == ["AD-3", "NK-1"]
    assert skus(search_available_items("ad-3")) == ["AD-3"]


def test_size_and_max_price_narrow_the_results():
    make_item("NK-L", brand="Nike", size_label="L", price="45.00")
    make_item("NK-M", brand="Nike", size_label="M", price="45.00")
    make_item("NK-L-DEAR", brand="Nike", size_label="L", price="90.00")

    assert skus(search_available_items("nike", size="l", max_price=Decimal("50"))) == ["NK-L"]


def test_held_sold_and_hidden_items_are_left_out_but_run_out_holds_count_as_available():
    customer = make_customer()
    now = timezone.now()
    make_item("ON-SALE", brand="Nike")
    make_item("HELD", brand="Nike", held_by=customer, held_until=now + timedelta(hours=1))
    make_item("RUN-OUT", brand="Nike", held_by=customer, held_until=now - timedelta(hours=1))
    make_item("SOLD", brand="Nike", status=Item.Status.SOLD)
    make_item("HIDDEN", brand="Nike", status=Item.Status.HIDDEN)

    assert sorted(skus(search_available_items("nike"))) == ["ON-SALE", "RUN-OUT"]


def test_results_are_limited_and_newest_first():
    for number in range(1, 8):
        make_item(f"NK-{number}", brand="Nike")

    assert skus(search_available_items("nike", limit=3)) == ["NK-7", "NK-6", "NK-5"]


def test_size_matches_the_label_and_its_synonyms():
    make_item("NK-L", brand="Nike", size_label="L")
    make_item("NK-LARGE", brand="Nike", size_label="Large")
    make_item("NK-MENS-L", brand="Nike", size_label="Men's L")
    make_item("NK-XL", brand="Nike", size_label="XL")

    assert sorted(skus(search_available_items("nike", size="large"))) == ["NK-L", "NK-LARGE", "NK-MENS-L"]
    assert sorted(skus(search_available_items("nike", size="XL"))) == ["NK-XL"]


def test_words_in_the_name_rank_above_words_in_the_description_and_an_exact_sku_comes_first():
    make_item("NK-NAME", name="Nylon Windbreaker", brand="Nike")
    make_item("NK-DESC", name="Track Jacket", brand="Nike", description="A windbreaker for the rain")
    make_item("WB-1", name="Plain Coat", description="Not a windbreaker")

    assert skus(search_available_items("windbreaker")) == ["NK-NAME", "WB-1", "NK-DESC"]
    assert skus(search_available_items("wb-1")) == ["WB-1"]


def test_get_item_finds_an_item_by_sku_in_any_case():
    make_item("VNT-NIKE-WB-001")

    assert get_item(" vnt-nike-wb-001 ").sku == "VNT-NIKE-WB-001"
    with pytest.raises(ItemNotFound):
        get_item("NOPE")
