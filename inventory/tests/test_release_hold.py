from datetime import timedelta

import pytest
from django.utils import timezone

from inventory.exceptions import ItemNotFound, ItemNotHeld, NotHeldBy
from inventory.models import Item
from inventory.services import release_hold
from philia.tests.factories import make_customer, make_item

pytestmark = pytest.mark.django_db


def test_staff_release_any_hold_and_the_item_is_on_sale_again():
    make_item(held_by=make_customer(), held_until=timezone.now() + timedelta(hours=3))

    release_hold(sku="vnt-test-001")

    item = Item.objects.get()
    assert (item.status, item.held_by, item.held_until) == (Item.Status.AVAILABLE, None, None)


def test_customer_releases_their_own_hold():
    customer = make_customer()
    make_item(held_by=customer, held_until=timezone.now() + timedelta(hours=3))

    item = release_hold(sku="VNT-TEST-001", by=customer)

    assert item.status == Item.Status.AVAILABLE
    assert Item.objects.get().status == Item.Status.AVAILABLE


def test_customer_cannot_release_someone_elses_hold():
    make_item(held_by=make_customer("holder"), held_until=timezone.now() + timedelta(hours=3))

    with pytest.raises(NotHeldBy, match=r"^VNT-TEST-001 is not held by you\.$"):
        release_hold(sku="VNT-TEST-001", by=make_customer("someone-else"))

    assert Item.objects.get().held_by_id == "holder"


@pytest.mark.parametrize("status", [Item.Status.AVAILABLE, Item.Status.SOLD, Item.Status.HIDDEN])
def test_item_that_is_not_held_cannot_be_released(status):
    make_item(status=status)

    with pytest.raises(ItemNotHeld, match=r"^VNT-TEST-001 is not held\.$"):
        release_hold(sku="VNT-TEST-001")

    assert Item.objects.get().status == status


def test_unknown_sku_cannot_be_released():
    with pytest.raises(ItemNotFound):
        release_hold(sku="NOPE-404")
