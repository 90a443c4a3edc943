"""A garment word with a price ceiling ("tees under $30"): the reply lists only that kind of piece at or
below the price, and says so when there is none, through the whole offline assistant."""

from decimal import Decimal

import pytest

from assistant.tests.assistant_support import text_of
from inventory.models import Item


@pytest.fixture(autouse=True)
def offline(settings):
    settings.OPENAI_API_KEY = ""


def listed(text: str) -> list[Item]:
    """The items of a reply, read back from the SKUs at the start of its item lines."""
    skus = [line.split(" · ")[0] for line in text.splitlines() if line.startswith("VNT-")]
    by_sku = {item.sku: item for item in Item.objects.filter(sku__in=skus)}
    return [by_sku[sku] for sku in skus]


@pytest.mark.parametrize(
    ("message", "category", "ceiling", "expected"),
    [
        ("tees under $80", "tshirt", "80", ["VNT-HARL-TEE-008"]),
        ("tee shirts under 80", "tshirt", "80", ["VNT-HARL-TEE-008"]),
        ("hoodies below 40", "sweatshirt", "40", ["VNT-NIKE-SWSH-014"]),
        ("any hoodys under 60?", "sweatshirt", "60", ["VNT-NIKE-SWSH-014", "VNT-CHAM-RW-006"]),
        ("any jackets under $50?", "jacket", "50", ["VNT-WRNG-TRUC-010", "VNT-ADID-TT-004", "VNT-NIKE-WB-001"]),
        ("trousers under $30", "trousers", "30", ["VNT-DICK-874-012"]),
    ],
)
def test_a_garment_word_and_a_price_ceiling_list_only_that_kind_at_or_below_the_price(
    stock, anna, message, category, ceiling, expected
):
    items = listed(text_of(anna, message))

    assert [item.sku for item in items] == expected
    assert {item.category for item in items} == {category}
    assert all(item.price <= Decimal(ceiling) for item in items)


@pytest.mark.parametrize(
    ("message", "reply"),
    [
        ("tees under $30", "I don't have any tees under $30 right now.\nNew pieces drop often, so check back soon!"),
        (
            "any jackets under $30?",
            "I don't have any jackets under $30 right now.\nNew pieces drop often, so check back soon!",
        ),
        (
            "nike hoodie under 30",
            "I don't have any Nike hoodie under $30 right now.\nNew pieces drop often, so check back soon!",
        ),
    ],
)
def test_with_nothing_of_that_kind_under_the_price_the_reply_says_so_and_lists_nothing_dearer(
    stock, anna, message, reply
):
    assert text_of(anna, message) == reply


def test_the_closest_pieces_keep_the_price_ceiling(stock, anna):
    """No Levi's jacket in XS under $60: the closest are other jackets under $60, never the $85 Levi's trucker."""
    text = text_of(anna, "levis jackets in xs under $60")

    assert text.startswith("I don't have any Levi's jackets in XS under $60 right now. The closest I have:\n")
    assert [item.sku for item in listed(text)] == ["VNT-COLM-BUG-013", "VNT-WRNG-TRUC-010", "VNT-ADID-TT-004"]
