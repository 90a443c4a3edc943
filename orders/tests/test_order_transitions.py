from datetime import timedelta

import pytest
from django.utils import timezone

from inventory.models import Item
from inventory.services import reserve_item
from orders.exceptions import InvalidOrderTransition, TrackingNumberMissing
from orders.models import Order
from orders.services import cancel_order, mark_paid, mark_shipped, place_order
from philia.tests.factories import make_customer, make_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def order() -> Order:
    customer = make_customer()
    make_item("JACKET-1", held_by=customer, held_until=timezone.now() + timedelta(hours=3))
    make_item("JEANS-2", held_by=customer, held_until=timezone.now() + timedelta(hours=3))
    return place_order(customer=customer)


def kinds(order: Order) -> list[str]:
    return list(order.events.values_list("kind", flat=True))


def test_pending_order_is_marked_paid_with_its_payment_reference(order):
    paid = mark_paid(order=order, payment_reference=" PAYPAL-123 ")

    paid.refresh_from_db()
    assert (paid.status, paid.payment_reference) == (Order.Status.PAID, "PAYPAL-123")
    assert paid.paid_at is not None
    assert kinds(paid) == ["placed", "paid"]


def test_paid_order_is_marked_shipped_with_its_tracking_number(order):
    mark_paid(order=order)

    shipped = mark_shipped(order=order, tracking_number=" 1Z999AA10123456784 ")

    shipped.refresh_from_db()
    assert (shipped.status, shipped.tracking_number) == (Order.Status.SHIPPED, "1Z999AA10123456784")
    assert shipped.shipped_at is not None
    assert kinds(shipped) == ["placed", "paid", "shipped"]


def test_order_cannot_be_paid_twice(order):
    mark_paid(order=order)

    with pytest.raises(InvalidOrderTransition, match=rf"^Order #{order.pk} is paid; it cannot be marked paid\.$"):
        mark_paid(order=order)


def test_unpaid_order_cannot_be_shipped(order):
    with pytest.raises(
        InvalidOrderTransition, match=rf"^Order #{order.pk} is awaiting payment; it cannot be marked shipped\.$"
    ):
        mark_shipped(order=order, tracking_number="1Z999")

    assert Order.objects.get().status == Order.Status.PENDING


def test_shipping_needs_a_tracking_number(order):
    mark_paid(order=order)

    with pytest.raises(TrackingNumberMissing, match=rf"^Order #{order.pk} needs a tracking number"):
        mark_shipped(order=order, tracking_number="   ")

    assert Order.objects.get().status == Order.Status.PAID


@pytest.mark.parametrize("paid_first", [False, True])
def test_cancelled_order_puts_its_items_back_on_sale(order, paid_first):
    if paid_first:
        mark_paid(order=order)

    cancelled = cancel_order(order=order, reason="changed their mind")

    cancelled.refresh_from_db()
    assert cancelled.status == Order.Status.CANCELLED
    assert cancelled.cancelled_at is not None
    assert list(cancelled.lines.values_list("is_active", flat=True)) == [False, False]
    assert set(Item.objects.values_list("status", flat=True)) == {Item.Status.AVAILABLE}
    assert list(cancelled.events.values_list("kind", "note"))[-1] == ("cancelled", "changed their mind")


def test_item_of_a_cancelled_order_can_be_held_and_ordered_again(order):
    cancel_order(order=order)
    buyer = make_customer("next-buyer")

    reserve_item(sku="JACKET-1", customer=buyer)
    second = place_order(customer=buyer)

    assert list(second.lines.values_list("item__sku", flat=True)) == ["JACKET-1"]


def test_shipped_or_cancelled_order_cannot_be_cancelled(order):
    mark_paid(order=order)
    mark_shipped(order=order, tracking_number="1Z999")

    with pytest.raises(InvalidOrderTransition, match=r"is shipped; it cannot be cancelled\.$"):
        cancel_order(order=order)
    assert set(Item.objects.values_list("status", flat=True)) == {Item.Status.SOLD}


def test_cancelled_order_cannot_be_paid(order):
    cancel_order(order=order)

    with pytest.raises(InvalidOrderTransition, match=r"is cancelled; it cannot be marked paid\.$"):
        mark_paid(order=order)
