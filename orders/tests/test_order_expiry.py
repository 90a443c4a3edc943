"""Unpaid orders run out: expired after ORDER_PAYMENT_HOURS, reminded once before, pieces back on sale."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from conversations.models import Message
from inventory.models import Item
from orders.models import Order
from orders.services import expire_order, expire_unpaid_orders, mark_paid, place_order, remind_unpaid_orders
from philia.tests.factories import make_customer, make_item

pytestmark = pytest.mark.django_db


def customer_in_window(tiktok_user_id: str = "customer-1", **fields):
    return make_customer(
        tiktok_user_id, conversation_id=f"conv-{tiktok_user_id}", last_inbound_at=timezone.now(), **fields
    )


def order_for(customer, *skus: str) -> Order:
    for sku in skus:
        make_item(sku, held_by=customer, held_until=timezone.now() + timedelta(hours=3))
    return place_order(customer=customer)


def told(customer) -> list[str]:
    return list(Message.objects.filter(customer=customer, direction="outbound").values_list("text", flat=True))


def test_an_order_is_due_for_payment_order_payment_hours_after_it_is_placed(settings):
    settings.ORDER_PAYMENT_HOURS = 1.5
    before = timezone.now()

    order = order_for(customer_in_window(), "JACKET-1")

    assert before + timedelta(hours=1.5) <= order.expires_at <= timezone.now() + timedelta(hours=1.5)


def test_an_unpaid_order_past_its_deadline_is_cancelled_and_its_pieces_are_back_on_sale():
    customer = customer_in_window()
    order = order_for(customer, "JACKET-1", "JEANS-2")

    expired = expire_unpaid_orders(now=order.expires_at + timedelta(seconds=1))

    order.refresh_from_db()
    assert (expired, order.status) == (1, Order.Status.CANCELLED)
    assert set(Item.objects.values_list("status", flat=True)) == {Item.Status.AVAILABLE}
    assert not order.lines.filter(is_active=True).exists()
    event = order.events.last()
    assert (event.kind, event.actor, event.from_status, event.to_status) == (
        "expired",
        "system",
        "pending",
        "cancelled",
    )
    assert told(customer) == [
        f"Order #{order.pk} was not paid in time, so it is cancelled and JACKET-1, JEANS-2 are back on sale. "
        "Message me if you still want them!"
    ]


def test_an_order_not_yet_due_paid_or_already_expired_is_left_alone():
    customer = customer_in_window()
    order = order_for(customer, "JACKET-1")

    assert expire_order(order_id=order.pk, now=order.expires_at - timedelta(seconds=1)) is False
    assert expire_order(order_id=order.pk + 999) is False
    mark_paid(order=order)
    assert expire_order(order_id=order.pk, now=order.expires_at + timedelta(hours=1)) is False

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert Item.objects.get().status == Item.Status.SOLD


def test_a_customer_whose_window_closed_is_not_told_of_the_expiry():
    customer = make_customer(conversation_id="conv-1", last_inbound_at=timezone.now() - timedelta(hours=49))
    order = order_for(customer, "JACKET-1")

    expire_unpaid_orders(now=order.expires_at + timedelta(seconds=1))

    assert told(customer) == []


def test_the_reminder_is_sent_once_within_order_reminder_hours_of_the_deadline(settings):
    settings.ORDER_PAYMENT_HOURS = 48
    settings.ORDER_REMINDER_HOURS = 12
    customer = customer_in_window()
    order = order_for(customer, "JACKET-1")

    too_early = remind_unpaid_orders(now=order.expires_at - timedelta(hours=13))
    first = remind_unpaid_orders(now=order.expires_at - timedelta(hours=11, minutes=50))
    again = remind_unpaid_orders(now=order.expires_at - timedelta(hours=1))

    assert (too_early, first, again) == (0, 1, 0)
    assert told(customer) == [
        f"A reminder: order #{order.pk} ($45.00) is waiting for payment and is kept for you for another 12 hours. "
        + settings.PAYMENT_INSTRUCTIONS
    ]
    assert list(order.events.values_list("kind", flat=True)) == ["placed", "reminded"]


def test_no_reminder_when_reminders_are_off(settings):
    settings.ORDER_REMINDER_HOURS = 0
    order = order_for(customer_in_window(), "JACKET-1")

    assert remind_unpaid_orders(now=order.expires_at - timedelta(hours=1)) == 0
    assert Message.objects.filter(direction="outbound").count() == 0


def test_no_reminder_to_a_customer_who_sent_stop():
    order = order_for(customer_in_window(opted_out_at=timezone.now()), "JACKET-1")

    assert remind_unpaid_orders(now=order.expires_at - timedelta(hours=1)) == 0
    assert Message.objects.filter(direction="outbound").count() == 0


def test_expire_orders_command_prints_how_many_it_expired():
    order = order_for(customer_in_window(), "JACKET-1")
    order_for(customer_in_window("customer-2"), "JEANS-2")  # not due yet
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    out = StringIO()

    call_command("expire_orders", stdout=out)
    call_command("expire_orders", stdout=out)

    assert out.getvalue() == "Expired 1 unpaid order(s).\nExpired 0 unpaid order(s).\n"
