from datetime import timedelta

import pytest
from django.utils import timezone

from inventory.models import Item
from inventory.services import release_expired_holds
from philia.tests.factories import make_customer, make_item

pytestmark = pytest.mark.django_db


def test_only_run_out_holds_are_put_back_on_sale():
    customer = make_customer()
    now = timezone.now()
    make_item("RUN-OUT-1", held_by=customer, held_until=now - timedelta(seconds=1))
    make_item("RUN-OUT-2", held_by=customer, held_until=now)
    make_item("CURRENT-3", held_by=customer, held_until=now + timedelta(hours=1))
    make_item("SOLD-4", status=Item.Status.SOLD)

    released = release_expired_holds(now=now)

    assert released == 2
    assert dict(Item.objects.values_list("sku", "status")) == {
        "RUN-OUT-1": "available",
        "RUN-OUT-2": "available",
        "CURRENT-3": "reserved",
        "SOLD-4": "sold",
    }
    assert Item.objects.get(sku="RUN-OUT-1").held_by is None


def test_sweeping_twice_releases_nothing_the_second_time():
    make_item(held_by=make_customer(), held_until=timezone.now() - timedelta(hours=1))

    assert release_expired_holds() == 1
    assert release_expired_holds() == 0
    assert Item.objects.get().status == Item.Status.AVAILABLE
