"""The scorer: explicit features with hand-set weights, each contribution kept; no database."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.item_query import ItemQuery
from inventory.models import Item
from propositions.scoring import WEIGHTS, Sizes, Target, letter_sizes, price_fit, score, waist_of

NOW = timezone.now()


def piece(**fields) -> Item:
    values = {
        "pk": 1,
        "sku": "VNT-TEST-001",
        "name": "Vintage Nike Windbreaker",
        "brand": "Nike",
        "category": "jacket",
        "size_label": "L",
        "price": Decimal("45.00"),
        "era": "90s",
        "created_at": NOW,
    }
    return Item(**{**values, **fields})


def test_the_weights_add_up_to_one():
    assert sum(WEIGHTS.values()) == pytest.approx(1.0)


def test_a_piece_like_the_one_wanted_in_every_way_scores_one():
    wanted = piece(pk=2, sku="VNT-WANTED")

    found = score(piece(), target=Target.of_item(wanted), sizes=Sizes(), now=NOW)

    assert found.confidence == 1.0
    assert found.features == {
        "category": 0.3,
        "size": 0.25,
        "price": 0.15,
        "brand": 0.15,
        "style": 0.1,
        "newness": 0.05,
    }


def test_each_feature_contributes_its_own_part():
    wanted = piece(pk=2, name="Vintage Nike Windbreaker", era="90s", price=Decimal("40"))
    other = piece(
        name="Adidas Track Jacket",
        brand="Adidas",
        size_label="M",
        era="80s",
        price=Decimal("100"),
        created_at=NOW - timedelta(days=30),
    )

    found = score(other, target=Target.of_item(wanted), sizes=Sizes(), now=NOW)

    assert found.features == {
        "category": 0.3,
        "size": 0.0,
        "price": 0.0,  # 150 % dearer: outside the band
        "brand": 0.0,
        "style": 0.0,
        "newness": 0.025,  # half way to NEW_FOR_DAYS
    }
    assert found.confidence == 0.325


def test_the_customers_known_sizes_come_before_the_size_wanted():
    wanted = piece(pk=2, size_label="L")

    in_m = score(piece(size_label="M"), target=Target.of_item(wanted), sizes=Sizes(labels=frozenset({"M"})), now=NOW)
    in_l = score(piece(size_label="L"), target=Target.of_item(wanted), sizes=Sizes(labels=frozenset({"M"})), now=NOW)

    assert (in_m.features["size"], in_l.features["size"]) == (0.25, 0.0)


def test_with_no_known_size_the_size_of_the_piece_wanted_is_the_guess():
    wanted = piece(pk=2, size_label="Men's L")

    found = score(piece(size_label="L/XL"), target=Target.of_item(wanted), sizes=Sizes(), now=NOW)

    assert found.features["size"] == 0.25


def test_with_no_size_known_or_wanted_size_gives_nothing():
    found = score(piece(), target=Target.of_query(ItemQuery(categories=("jacket",))), sizes=Sizes(), now=NOW)

    assert found.features["size"] == 0.0


def test_measurements_fit_within_an_inch():
    sizes = Sizes(measurements={"pit_to_pit": 22.0})
    target = Target(categories=frozenset({"jacket"}))

    close = score(piece(size_label="", measurements={"pit_to_pit": 22.5}), target=target, sizes=sizes, now=NOW)
    far = score(piece(size_label="", measurements={"pit_to_pit": 24}), target=target, sizes=sizes, now=NOW)

    assert (close.features["size"], far.features["size"]) == (0.25, 0.0)


def test_a_waist_fits_bottoms_labelled_in_any_usual_way():
    sizes = Sizes(waist=32)
    target = Target(categories=frozenset({"jeans"}))

    assert [
        score(piece(category="jeans", size_label=label), target=target, sizes=sizes, now=NOW).features["size"]
        for label in ("W32 L30", "32x30", "32", "W34 L32")
    ] == [0.25, 0.25, 0.25, 0.0]


@pytest.mark.parametrize(
    ("price", "fit"),
    [("40", 1.0), ("50", 1.0), ("55", 0.5), ("60", 0.0), ("30", 1.0), ("25", 0.5)],
)
def test_the_price_band(price, fit):
    assert price_fit(Decimal(price), Decimal("40")) == pytest.approx(fit)


def test_no_wanted_price_gives_nothing_for_price():
    assert price_fit(Decimal("40"), None) == 0.0


@pytest.mark.parametrize(
    ("label", "letters", "waist"),
    [
        ("L", {"L"}, None),
        ("Men's M", {"M"}, None),
        ("L/XL", {"L", "XL"}, None),
        ("Large", {"L"}, None),
        ("W32 L30", set(), 32),
        ("US 9", set(), None),
        ("", set(), None),
    ],
)
def test_size_labels_are_read(label, letters, waist):
    assert (set(letter_sizes(label)), waist_of(label)) == (letters, waist)


def test_hostile_text_in_a_label_or_a_wanted_query_scores_without_error():
    hostile = "<script>alert(1)</script>" + "x" * 10_000
    target = Target.of_query(ItemQuery(words=(hostile,), brands=(hostile,)))

    found = score(piece(size_label=hostile[:20], name=hostile), target=target, sizes=Sizes(), now=NOW)

    assert 0.0 <= found.confidence <= 1.0
