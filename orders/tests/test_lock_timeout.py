"""Waiting for a locked row is bounded: a change that cannot get the lock in LOCK_TIMEOUT_SECONDS says
"busy, try again" and changes nothing, instead of hanging.

`django_db(transaction=True)`: the lock is held by another connection in another thread.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from inventory.models import Item
from inventory.services import reserve_item
from orders.models import Order
from orders.services import cancel_order, place_order
from philia.db import Busy
from philia.tests.concurrency import items_locked_elsewhere
from philia.tests.factories import make_customer, make_item


@pytest.mark.django_db(transaction=True)
def test_a_lock_held_too_long_makes_reserve_and_cancel_answer_busy(settings):
    settings.LOCK_TIMEOUT_SECONDS = 0.2
    customer = make_customer()
    make_item("JACKET-1", held_by=customer, held_until=timezone.now() + timedelta(hours=3))
    order = place_order(customer=customer)
    make_item("JEANS-2")
    with items_locked_elsewhere(Item.objects.values_list("pk", flat=True)):
        with pytest.raises(
            Busy, match=r"^The shop is busy with that right now; nothing was changed\. Please try again\.$"
        ):
            reserve_item(sku="JEANS-2", customer=make_customer("customer-2"))
        with pytest.raises(Busy):
            cancel_order(order=order)

    order.refresh_from_db()
    assert order.status == Order.Status.PENDING
    assert Item.objects.get(sku="JEANS-2").status == Item.Status.AVAILABLE
