"""The stock's brands and whether pieces wait in a drop still to come, which every offline turn reads, are kept a
while per process: what this process changes is known at once; what another process changes, within
BRANDS_KEPT_SECONDS (DROPS_KEPT_SECONDS)."""

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory import selectors
from inventory.catalogue import add_items
from inventory.drops import schedule_drop
from inventory.models import Item
from philia.tests.factories import make_item

pytestmark = pytest.mark.django_db


def test_the_brands_are_read_once_while_kept():
    make_item(sku="VNT-A-001", brand="Nike")
    assert selectors.known_brands() == ["Nike"]

    with CaptureQueriesContext(connection) as queries:
        assert selectors.known_brands() == ["Nike"]

    assert not queries.captured_queries


def test_an_item_saved_or_deleted_here_is_known_at_once():
    item = make_item(sku="VNT-A-001", brand="Nike")
    assert selectors.known_brands() == ["Nike"]
    make_item(sku="VNT-B-001", brand="Carhartt")
    assert selectors.known_brands() == ["Carhartt", "Nike"]
    item.delete()
    assert selectors.known_brands() == ["Carhartt"]


def test_items_added_in_bulk_are_known_at_once():
    make_item(sku="VNT-A-001", brand="Nike")
    assert selectors.known_brands() == ["Nike"]
    add_items(items=[{"sku": "VNT-C-001", "name": "Chore coat", "brand": "Dickies", "category": "jacket", "price": 40}])
    assert "Dickies" in selectors.known_brands()


def test_a_brand_changed_by_another_process_is_known_once_the_kept_list_is_old(monkeypatch):
    monkeypatch.setattr(selectors, "BRANDS_KEPT_SECONDS", 0.2)
    make_item(sku="VNT-A-001", brand="Nike")
    assert selectors.known_brands() == ["Nike"]
    Item.objects.filter(sku="VNT-A-001").update(brand="Patagonia")  # no signal here: as another process's write

    assert selectors.known_brands() == ["Nike"]  # kept
    time.sleep(0.25)
    assert selectors.known_brands() == ["Patagonia"]


def test_a_drop_scheduled_here_is_known_at_once_and_one_gone_live_needs_no_reading():
    make_item(sku="VNT-A-001", brand="Nike")
    now = timezone.now()
    assert selectors.has_pieces_to_drop(now=now) is False
    schedule_drop(drops_at=now + timedelta(hours=1), skus=["VNT-A-001"])

    assert selectors.has_pieces_to_drop(now=now) is True
    with CaptureQueriesContext(connection) as queries:
        assert selectors.has_pieces_to_drop(now=now + timedelta(hours=2)) is False  # it has dropped by then
    assert not queries.captured_queries


def test_a_drop_another_process_schedules_is_known_once_the_kept_fact_is_old(monkeypatch):
    monkeypatch.setattr(selectors, "DROPS_KEPT_SECONDS", 0.2)
    make_item(sku="VNT-A-001", brand="Nike")
    assert selectors.has_pieces_to_drop() is False
    Item.objects.filter(sku="VNT-A-001").update(drops_at=timezone.now() + timedelta(hours=1))  # no signal here

    assert selectors.has_pieces_to_drop() is False  # kept
    time.sleep(0.25)
    assert selectors.has_pieces_to_drop() is True
