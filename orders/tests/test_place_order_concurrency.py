"""Placing an order races with a second order and with staff releasing a hold. Real threads.

`django_db(transaction=True)`: each thread has its own connection and must see committed rows; the
locks only matter between separate transactions.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from inventory.exceptions import ItemNotHeld
from inventory.models import Item
from inventory.services import release_hold
from orders.exceptions import HoldLost, NothingToOrder
from orders.models import Order, OrderItem
from orders.services import place_order
from philia.tests.concurrency import run_at_once
from philia.tests.factories import make_customer, make_item


@pytest.mark.django_db(transaction=True)
def test_the_same_customer_ordering_twice_at_once_gets_one_order():
    customer = make_customer()
    make_item("JACKET-1", held_by=customer, held_until=timezone.now() + timedelta(hours=3))
    make_item("JEANS-2", held_by=customer, held_until=timezone.now() + timedelta(hours=3))

    outcomes = run_at_once([lambda: place_order(customer=customer), lambda: place_order(customer=customer)])

    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["NothingToOrder", "Order"], outcomes
    assert Order.objects.count() == 1
    assert OrderItem.objects.filter(is_active=True).count() == 2


@pytest.mark.django_db(transaction=True)
def test_ordering_while_staff_release_the_hold_leaves_one_consistent_outcome():
    customer = make_customer()
    make_item("JACKET-1", held_by=customer, held_until=timezone.now() + timedelta(hours=3))

    ordered, released = run_at_once([lambda: place_order(customer=customer), lambda: release_hold(sku="JACKET-1")])

    item = Item.objects.get()
    if isinstance(ordered, Order):
        # The order locked the item first: it is sold, and staff are told it is no longer held.
        assert isinstance(released, ItemNotHeld)
        assert (item.status, Order.objects.count()) == (Item.Status.SOLD, 1)
    else:
        # Staff released first: nothing was ordered and the item is on sale.
        assert isinstance(ordered, NothingToOrder | HoldLost), ordered
        assert isinstance(released, Item)
        assert (item.status, Order.objects.count()) == (Item.Status.AVAILABLE, 0)
