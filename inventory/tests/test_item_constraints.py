"""The database itself refuses an item in an impossible state, whatever code (or SQL) tries."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from inventory.models import Item
from philia.tests.factories import make_customer, make_item

pytestmark = pytest.mark.django_db


def test_held_item_without_a_holder_is_refused():
    with pytest.raises(IntegrityError, match="item_hold_matches_status"), transaction.atomic():
        Item.objects.create(sku="X-1", name="X", price="10.00", status="reserved", held_until=timezone.now())


def test_held_item_without_an_expiry_is_refused():
    customer = make_customer()
    with pytest.raises(IntegrityError, match="item_hold_matches_status"), transaction.atomic():
        Item.objects.create(sku="X-1", name="X", price="10.00", status="reserved", held_by=customer)


def test_available_item_with_a_holder_is_refused():
    item = make_item()
    with pytest.raises(IntegrityError, match="item_hold_matches_status"), transaction.atomic():
        Item.objects.filter(pk=item.pk).update(held_by=make_customer(), held_until=timezone.now() + timedelta(hours=1))


def test_zero_price_is_refused():
    with pytest.raises(IntegrityError, match="item_price_positive"), transaction.atomic():
        make_item(price="0.00")


def test_the_same_sku_in_another_case_is_refused():
    make_item("VNT-NIKE-WB-001")
    with pytest.raises(IntegrityError, match="item_sku_unique_ci"), transaction.atomic():
        make_item("vnt-nike-wb-001")


def test_unknown_status_is_refused():
    item = make_item()
    with pytest.raises(IntegrityError, match="item_status_valid"), transaction.atomic():
        Item.objects.filter(pk=item.pk).update(status="lost")
