from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from inventory.exceptions import InvalidItemStatusChange, ItemNotFound
from inventory.models import Item
from inventory.services import add_items, hide_item, unhide_item
from philia.tests.factories import make_customer, make_item

pytestmark = pytest.mark.django_db


def test_available_item_can_be_hidden_and_put_back_on_sale():
    make_item()

    assert hide_item(sku="VNT-TEST-001").status == Item.Status.HIDDEN
    assert unhide_item(sku="VNT-TEST-001").status == Item.Status.AVAILABLE
    assert Item.objects.get().status == Item.Status.AVAILABLE


def test_held_item_cannot_be_hidden():
    make_item(held_by=make_customer(), held_until=timezone.now() + timedelta(hours=1))

    with pytest.raises(InvalidItemStatusChange, match=r"^VNT-TEST-001 is held; it cannot be hidden\.$"):
        hide_item(sku="VNT-TEST-001")


def test_only_hidden_items_can_be_put_back_on_sale():
    make_item(status=Item.Status.SOLD)

    with pytest.raises(InvalidItemStatusChange, match=r"^VNT-TEST-001 is sold; it cannot be put on sale\.$"):
        unhide_item(sku="VNT-TEST-001")
    with pytest.raises(ItemNotFound):
        hide_item(sku="NOPE")


def test_add_items_creates_new_skus_on_sale_and_leaves_existing_ones_alone():
    make_item("OLD-1", name="Edited by staff", status=Item.Status.SOLD)

    created = add_items(
        items=[
            {"sku": "old-1", "name": "Seed name", "price": "10.00"},
            {"sku": "NEW-2", "name": "New jacket", "price": "20.00", "measurements": {"pit_to_pit": 22.5}},
        ]
    )

    assert [item.sku for item in created] == ["NEW-2"]
    assert dict(Item.objects.values_list("sku", "name")) == {"OLD-1": "Edited by staff", "NEW-2": "New jacket"}
    assert Item.objects.get(sku="NEW-2").status == Item.Status.AVAILABLE


def test_add_items_creates_nothing_when_one_item_is_invalid():
    with pytest.raises(ValidationError):
        add_items(
            items=[
                {"sku": "GOOD-1", "name": "Fine", "price": "10.00"},
                {"sku": "BAD-2", "name": "Bad", "price": "10.00", "measurements": {"pit_to_pit": -1}},
            ]
        )

    assert Item.objects.count() == 0


def test_measurements_read_as_inches():
    item = make_item(measurements={"pit_to_pit": 24.5, "length": 28, "sleeve": 25.5})

    assert item.measurements_text == "pit to pit 24.5 in · length 28 in · sleeve 25.5 in"
