"""Payments and refunds: each is a Payment row; a late payment is never a second sale."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from conversations.models import Message
from inventory.models import Item
from inventory.services import reserve_item
from orders.exceptions import NoUnpaidOrder, PaymentAmountMismatch
from orders.models import Order, Payment
from orders.services import (
    cancel_order,
    cancel_own_order,
    expire_order,
    mark_paid,
    note_customer_says_paid,
    place_order,
    record_provider_payment,
    record_refund,
)
from philia.tests.factories import make_customer, make_item

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:orders_order_changelist")


@pytest.fixture
def customer():
    return make_customer("tt-1", conversation_id="conv-1", last_inbound_at=timezone.now())


@pytest.fixture
def order(customer) -> Order:
    make_item("JACKET-1", price="45.00", held_by=customer, held_until=timezone.now() + timedelta(hours=1))
    make_item("JEANS-2", price="30.00", held_by=customer, held_until=timezone.now() + timedelta(hours=1))
    return place_order(customer=customer)


def told(customer) -> list[str]:
    return list(Message.objects.filter(customer=customer, direction="outbound").values_list("text", flat=True))


def test_mark_paid_form_is_prefilled_with_the_total(admin_client, order):
    form = admin_client.post(CHANGELIST, {"action": "mark_paid", "_selected_action": [order.pk]}).content.decode()

    assert f'name="amount_{order.pk}" value="75.00"' in form
    assert f'name="reference_{order.pk}"' in form


def test_mark_paid_in_the_admin_records_a_manual_payment_by_the_staff_user(admin_client, admin_user, order, customer):
    admin_client.post(
        CHANGELIST,
        {
            "action": "mark_paid",
            "_selected_action": [order.pk],
            "apply": "yes",
            f"amount_{order.pk}": "75.00",
            f"reference_{order.pk}": "PAYPAL 9XY",
        },
    )

    order.refresh_from_db()
    payment = order.payments.get()
    assert order.status == Order.Status.PAID
    assert (payment.provider, payment.kind, payment.reference, payment.amount, payment.currency) == (
        "manual", "payment", "PAYPAL 9XY", Decimal("75.00"), "usd",
    )  # fmt: skip
    assert payment.recorded_by == admin_user
    assert order.events.last().staff_user == admin_user
    assert told(customer) == [
        f"Thank you! Payment for order #{order.pk} ($75.00) is in. We'll send the tracking number when it ships."
    ]


def test_mark_paid_with_another_amount_is_refused_and_records_nothing(admin_client, order):
    response = admin_client.post(
        CHANGELIST,
        {"action": "mark_paid", "_selected_action": [order.pk], "apply": "yes", f"amount_{order.pk}": "70"},
        follow=True,
    )

    order.refresh_from_db()
    assert order.status == Order.Status.PENDING and not Payment.objects.exists()
    assert [m.message for m in get_messages(response.wsgi_request)] == [
        f"Order #{order.pk}: Order #{order.pk} totals $75.00, not $70; it was not marked paid."
    ]
    with pytest.raises(PaymentAmountMismatch):
        mark_paid(order=order, amount=Decimal("75.01"))


def test_a_provider_payment_of_the_total_marks_the_order_paid_once(order):
    first = record_provider_payment(
        order_id=order.pk, provider="stripe", reference="cs_1", amount=Decimal("75.00"), currency="USD"
    )
    again = record_provider_payment(
        order_id=order.pk, provider="stripe", reference="cs_1", amount=Decimal("75.00"), currency="usd"
    )

    order.refresh_from_db()
    assert (order.status, order.payment_reference) == (Order.Status.PAID, "cs_1")
    assert first is not None and again is None
    assert Payment.objects.count() == 1


def test_a_provider_payment_of_another_amount_is_flagged_not_accepted(order):
    payment = record_provider_payment(
        order_id=order.pk, provider="stripe", reference="cs_1", amount=Decimal("7.50"), currency="usd"
    )

    order.refresh_from_db()
    assert order.status == Order.Status.PENDING
    assert payment.accepted is False
    assert order.payment_problem == (
        "stripe payment cs_1 was 7.50 USD; the order is 75.00 USD. Not accepted: check and refund or settle it."
    )
    assert order.events.last().kind == "payment_mismatch"


def test_a_late_payment_reinstates_the_order_when_every_piece_is_still_on_sale(order, customer):
    expire_order(order_id=order.pk, now=order.expires_at + timedelta(seconds=1))

    record_provider_payment(
        order_id=order.pk, provider="stripe", reference="cs_1", amount=Decimal("75"), currency="usd"
    )

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert set(Item.objects.values_list("status", flat=True)) == {Item.Status.SOLD}
    assert order.lines.filter(is_active=True).count() == 2
    assert list(order.events.values_list("kind", "from_status", "to_status")) == [
        ("placed", "", "pending"),
        ("expired", "pending", "cancelled"),
        ("reinstated", "cancelled", "cancelled"),
        ("paid", "cancelled", "paid"),
    ]


def test_a_late_payment_for_a_piece_held_since_is_flagged_for_refund_and_nothing_else_changes(order, customer):
    cancel_order(order=order)
    reserve_item(sku="JEANS-2", customer=make_customer("tt-2"))

    record_provider_payment(
        order_id=order.pk, provider="stripe", reference="cs_1", amount=Decimal("75"), currency="usd"
    )

    order.refresh_from_db()
    assert (order.status, order.needs_refund) == (Order.Status.CANCELLED, True)
    assert dict(Item.objects.values_list("sku", "status")) == {"JACKET-1": "available", "JEANS-2": "reserved"}
    assert not order.lines.filter(is_active=True).exists()
    assert told(customer)[-1] == (
        f"Your payment for order #{order.pk} came in after the order had run out, and a piece in it has been sold "
        "since. Sorry! The owner will refund you in full."
    )


def test_a_refund_is_recorded_once_and_clears_needs_refund(order):
    cancel_order(order=order)
    Item.objects.filter(sku="JEANS-2").update(status="hidden")
    record_provider_payment(
        order_id=order.pk, provider="stripe", reference="cs_1", amount=Decimal("75"), currency="usd"
    )

    record_refund(order_id=order.pk, provider="stripe", reference="ch_1", amount=Decimal("75"), currency="usd")
    record_refund(order_id=order.pk, provider="stripe", reference="ch_1", amount=Decimal("75"), currency="usd")

    order.refresh_from_db()
    assert order.needs_refund is False
    assert list(order.payments.values_list("kind", "reference")) == [("payment", "cs_1"), ("refund", "ch_1")]


def test_a_customer_saying_paid_flags_their_unpaid_order_for_the_owner(order, customer):
    flagged = note_customer_says_paid(customer=customer)

    order.refresh_from_db()
    assert [flagged_order.pk for flagged_order in flagged] == [order.pk]
    assert order.customer_says_paid_at is not None and order.status == Order.Status.PENDING
    assert order.events.last().actor == "customer"


def test_a_customer_cancels_their_own_unpaid_order(order, customer):
    cancel_own_order(customer=customer)

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert set(Item.objects.values_list("status", flat=True)) == {Item.Status.AVAILABLE}
    assert (order.events.last().kind, order.events.last().actor) == ("cancelled", "customer")
    with pytest.raises(NoUnpaidOrder, match="^You have no order waiting for payment, so there is nothing to cancel.$"):
        cancel_own_order(customer=customer)
