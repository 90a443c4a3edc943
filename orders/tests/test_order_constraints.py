"""The database itself refuses impossible orders, whatever code (or SQL) tries."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from orders.models import Order, OrderItem
from philia.tests.factories import make_customer, make_item

pytestmark = pytest.mark.django_db


def test_one_item_cannot_be_in_two_standing_orders():
    customer = make_customer()
    item = make_item(status="sold")
    first, second = Order.objects.create(customer=customer), Order.objects.create(customer=customer)
    OrderItem.objects.create(order=first, item=item, price=Decimal("45.00"))

    with pytest.raises(IntegrityError, match="item_sold_once"), transaction.atomic():
        OrderItem.objects.create(order=second, item=item, price=Decimal("45.00"))


def test_an_item_from_a_cancelled_order_line_may_be_ordered_again():
    customer = make_customer()
    item = make_item(status="sold")
    first, second = Order.objects.create(customer=customer), Order.objects.create(customer=customer)
    OrderItem.objects.create(order=first, item=item, price=Decimal("45.00"), is_active=False)

    OrderItem.objects.create(order=second, item=item, price=Decimal("45.00"))

    assert OrderItem.objects.filter(item=item, is_active=True).count() == 1


def test_quantity_other_than_one_is_refused():
    order = Order.objects.create(customer=make_customer())
    line = OrderItem.objects.create(order=order, item=make_item(status="sold"), price=Decimal("45.00"))

    with pytest.raises(IntegrityError, match="order_item_quantity_is_one"), transaction.atomic():
        OrderItem.objects.filter(pk=line.pk).update(quantity=2)


def test_shipped_order_without_tracking_number_is_refused():
    with pytest.raises(IntegrityError, match="order_shipped_has_tracking"), transaction.atomic():
        Order.objects.create(customer=make_customer(), status="shipped")


def test_negative_total_is_refused():
    with pytest.raises(IntegrityError, match="order_total_not_negative"), transaction.atomic():
        Order.objects.create(customer=make_customer(), total=Decimal("-1.00"))
