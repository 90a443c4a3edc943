"""Mark shipped: carrier and tracking number; the customer is told, after the window as a follow-up."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from conversations.models import Message
from orders.exceptions import UnknownCarrier
from orders.models import Order
from orders.services import mark_paid, mark_shipped, place_order
from philia.tests.factories import make_customer, make_item

pytestmark = pytest.mark.django_db


def paid_order(**customer_fields) -> Order:
    customer = make_customer("tt-1", conversation_id="conv-1", **customer_fields)
    make_item("JACKET-1", held_by=customer, held_until=timezone.now() + timedelta(hours=1))
    order = place_order(customer=customer)
    Message.objects.all().delete()
    return mark_paid(order=order)


def test_the_customer_is_told_the_tracking_number_and_link_of_a_known_carrier():
    order = paid_order(last_inbound_at=timezone.now())

    shipped = mark_shipped(order=order, tracking_number="1Z999AA1", carrier="ups")

    assert shipped.shipping_notice.text == (
        f"Good news: order #{order.pk} has shipped! UPS tracking number: 1Z999AA1. "
        "Follow it here: https://www.ups.com/track?tracknum=1Z999AA1"
    )
    assert shipped.events.last().note == "UPS 1Z999AA1"


def test_another_carrier_gets_the_number_without_a_link():
    order = paid_order(last_inbound_at=timezone.now())

    shipped = mark_shipped(order=order, tracking_number="AB123")

    assert shipped.shipping_notice.text == f"Good news: order #{order.pk} has shipped! Other tracking number: AB123."


def test_after_the_window_the_notice_goes_as_a_follow_up_the_outbox_decides_on():
    order = paid_order(last_inbound_at=timezone.now() - timedelta(hours=60))

    shipped = mark_shipped(order=order, tracking_number="9400111", carrier="usps")

    assert (shipped.shipping_notice.role, shipped.shipping_notice.state) == ("staff", "queued")


def test_an_unknown_carrier_is_refused():
    order = paid_order(last_inbound_at=timezone.now())

    with pytest.raises(UnknownCarrier):
        mark_shipped(order=order, tracking_number="1", carrier="pigeon")


def test_the_admin_asks_for_the_carrier_and_shows_whether_the_customer_was_told(admin_client):
    order = paid_order(last_inbound_at=timezone.now())
    changelist = reverse("admin:orders_order_changelist")

    form = admin_client.post(changelist, {"action": "mark_shipped", "_selected_action": [order.pk]}).content.decode()
    admin_client.post(
        changelist,
        {
            "action": "mark_shipped", "_selected_action": [order.pk], "apply": "yes",
            f"tracking_{order.pk}": "1Z1", f"carrier_{order.pk}": "fedex",
        },
    )  # fmt: skip
    page = admin_client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()

    assert f'name="carrier_{order.pk}"' in form and '<option value="dhl">DHL</option>' in form
    order.refresh_from_db()
    assert (order.status, order.carrier, order.tracking_number) == (Order.Status.SHIPPED, "fedex", "1Z1")
    assert "customer told it shipped" in page.lower() and "Queued" in page
