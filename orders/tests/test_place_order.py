from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.models import Item
from orders.exceptions import NothingToOrder
from orders.models import Order, OrderItem
from orders.services import place_order
from philia.tests.factories import make_customer, make_item

pytestmark = pytest.mark.django_db


def test_current_holds_become_one_pending_order_with_price_snapshots_and_total():
    customer = make_customer()
    later = timezone.now() + timedelta(hours=3)
    jacket = make_item("JACKET-1", price="45.00", held_by=customer, held_until=later)
    jeans = make_item("JEANS-2", price="58.50", held_by=customer, held_until=later)

    order = place_order(customer=customer)

    assert (order.customer_id, order.status, order.total) == ("customer-1", Order.Status.PENDING, Decimal("103.50"))
    lines = list(order.lines.values_list("item_id", "price", "quantity", "is_active"))
    assert lines == [(jacket.pk, Decimal("45.00"), 1, True), (jeans.pk, Decimal("58.50"), 1, True)]
    assert list(order.events.values_list("kind", "note")) == [("placed", "JACKET-1 $45.00, JEANS-2 $58.50")]


def test_ordered_items_are_sold_and_no_longer_held():
    customer = make_customer()
    make_item(held_by=customer, held_until=timezone.now() + timedelta(hours=3))

    place_order(customer=customer)

    item = Item.objects.get()
    assert (item.status, item.held_by, item.held_until) == (Item.Status.SOLD, None, None)


def test_price_snapshot_stays_when_the_item_price_changes_later():
    customer = make_customer()
    make_item(price="45.00", held_by=customer, held_until=timezone.now() + timedelta(hours=3))
    order = place_order(customer=customer)

    Item.objects.update(price=Decimal("99.00"))

    assert OrderItem.objects.get(order=order).price == Decimal("45.00")
    assert Order.objects.get().total == Decimal("45.00")


def test_run_out_holds_and_other_customers_holds_are_left_out():
    customer, other = make_customer("buyer"), make_customer("other")
    now = timezone.now()
    make_item("MINE", held_by=customer, held_until=now + timedelta(hours=1))
    make_item("RUN-OUT", held_by=customer, held_until=now - timedelta(minutes=1))
    make_item("THEIRS", held_by=other, held_until=now + timedelta(hours=1))

    order = place_order(customer=customer, now=now)

    assert list(order.lines.values_list("item__sku", flat=True)) == ["MINE"]
    assert dict(Item.objects.values_list("sku", "status")) == {
        "MINE": "sold",
        "RUN-OUT": "reserved",
        "THEIRS": "reserved",
    }


def test_customer_with_no_current_holds_has_nothing_to_order():
    customer = make_customer()
    make_item(held_by=customer, held_until=timezone.now() - timedelta(minutes=1))

    with pytest.raises(NothingToOrder, match=r"^You have no items on hold to order"):
        place_order(customer=customer)

    assert Order.objects.count() == 0
