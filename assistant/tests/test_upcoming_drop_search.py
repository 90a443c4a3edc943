"""A customer who describes a piece of a drop still to come is told when it drops, in the shop's time zone."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from assistant.tests.assistant_support import make_customer, text_of
from inventory.models import Item
from inventory.services import add_items, schedule_drop

pytestmark = pytest.mark.django_db

DROP_LINE = "VNT-DROP-900 · Carhartt Detroit Jacket · L · $140"


@pytest.fixture(autouse=True)
def offline(settings):
    settings.OPENAI_API_KEY = ""
    settings.TIME_ZONE = "America/New_York"


def carhartt_in_a_drop(*, also_on_sale: bool = False) -> None:
    pieces = [{"sku": "VNT-DROP-900", "name": "Carhartt Detroit Jacket", "brand": "Carhartt", "category": "jacket",
               "size_label": "L", "price": "140"}]  # fmt: skip
    if also_on_sale:
        pieces.append({"sku": "VNT-CARH-002", "name": "Carhartt Chore Coat", "brand": "Carhartt",
                       "category": "jacket", "size_label": "L", "price": "90"})  # fmt: skip
    add_items(items=pieces)
    schedule_drop(drops_at=timezone.now() + timedelta(days=400), skus=["VNT-DROP-900"])
    Item.objects.filter(sku="VNT-DROP-900").update(drops_at=datetime(2028, 1, 6, 0, 30, tzinfo=UTC))


def test_describing_only_an_upcoming_drop_piece_says_when_it_drops():
    carhartt_in_a_drop()

    text = text_of(make_customer(), "got any carhartt detroit jackets?")

    assert text == (
        f"{DROP_LINE} drops Wed 05 Jan, 19:30 EST: message me then to claim it — the first to write gets it."
    )


def test_a_search_that_finds_pieces_on_sale_also_says_when_the_matching_drop_piece_drops():
    carhartt_in_a_drop(also_on_sale=True)

    text = text_of(make_customer(), "any carhartt jackets?")

    assert "VNT-CARH-002 · Carhartt Chore Coat · L · $90" in text
    assert text.endswith(
        f"\n\n{DROP_LINE} drops Wed 05 Jan, 19:30 EST: message me then to claim it — the first to write gets it."
    )


def test_once_dropped_the_piece_is_listed_as_on_sale():
    carhartt_in_a_drop()
    Item.objects.filter(sku="VNT-DROP-900").update(drops_at=timezone.now() - timedelta(minutes=1))

    text = text_of(make_customer(), "got any carhartt detroit jackets?")

    assert DROP_LINE in text and "drops " not in text
