"""Stripe: a Checkout Session per order (the real `stripe` client against a fake Stripe API on 127.0.0.1),
and Stripe's webhook, signed the way Stripe signs it."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from conversations.models import Message
from orders.models import Order, Payment, StripeEvent
from orders.services import place_order
from orders.stripe_payments import create_payment_link, handle_stripe_event_row
from philia.tests.factories import make_customer, make_item
from testing.stripe import checkout_completed, post_stripe_webhook, stripe_event, stripe_signature

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    return make_customer("tt-1", conversation_id="conv-1", last_inbound_at=timezone.now())


@pytest.fixture
def order(customer) -> Order:
    make_item(
        "JACKET-1",
        name="Nike windbreaker",
        price="45.00",
        held_by=customer,
        held_until=timezone.now() + timedelta(hours=1),
    )
    make_item(
        "JEANS-2", name="Levi's 501", price="30.50", held_by=customer, held_until=timezone.now() + timedelta(hours=1)
    )
    return place_order(customer=customer)


def told(customer) -> list[str]:
    return list(Message.objects.filter(customer=customer, direction="outbound").values_list("text", flat=True))


def test_the_checkout_session_is_for_exactly_the_order_and_the_customer_gets_its_link(
    stripe_settings, fake_stripe, order, customer
):
    url = create_payment_link(order_id=order.pk)

    session = fake_stripe.sessions[0]
    path, form, key = fake_stripe.requests[0]
    assert path == "/v1/checkout/sessions" and key == f"philia-order-{order.pk}-after-none"
    assert session["line_items_sent"] == [("JACKET-1 · Nike windbreaker", 4500), ("JEANS-2 · Levi's 501", 3050)]
    assert (session["amount_total"], session["currency"], session["client_reference_id"]) == (
        7550,
        "usd",
        str(order.pk),
    )
    assert form["metadata[order_id]"] == str(order.pk) and form["mode"] == "payment"
    now = timezone.now().timestamp()
    assert now + 30 * 60 < session["expires_at"] <= min(order.expires_at.timestamp(), now + 24 * 3600)
    order.refresh_from_db()
    assert (order.stripe_session_id, order.stripe_session_url) == (session["id"], url)
    assert told(customer) == [
        f"Pay for order #{order.pk} ($75.50) securely here: {url}\n"
        f"If the link gives you any trouble, your order number is #{order.pk}."
    ]


def test_an_order_due_sooner_than_24_hours_gets_a_session_expiring_with_it(stripe_settings, fake_stripe, order):
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() + timedelta(hours=2))

    create_payment_link(order_id=order.pk)

    order.refresh_from_db()
    assert fake_stripe.sessions[0]["expires_at"] == int(order.expires_at.timestamp())


def test_an_open_session_is_reused_and_an_expired_one_replaced(stripe_settings, fake_stripe, order):
    first = create_payment_link(order_id=order.pk)
    again = create_payment_link(order_id=order.pk)
    Order.objects.filter(pk=order.pk).update(stripe_session_expires_at=timezone.now() - timedelta(seconds=1))
    fresh = create_payment_link(order_id=order.pk)

    assert first == again != fresh
    assert [key for _, _, key in fake_stripe.requests] == [
        f"philia-order-{order.pk}-after-none",
        f"philia-order-{order.pk}-after-{fake_stripe.sessions[0]['id']}",
    ]


def test_when_stripe_fails_the_customer_gets_the_manual_instructions(stripe_settings, fake_stripe, order, customer):
    fake_stripe.fail_next = 5

    assert create_payment_link(order_id=order.pk) is None

    assert told(customer) == [
        f"To pay for order #{order.pk}: {stripe_settings.PAYMENT_INSTRUCTIONS} Please put #{order.pk} in the note."
    ]


@pytest.mark.parametrize(
    ("header", "detail"),
    [("", "Missing Stripe-Signature header."), ("t=1,v1=deadbeef", "Invalid Stripe-Signature.")],
)
def test_an_unsigned_or_badly_signed_event_is_refused_and_nothing_written(
    stripe_settings, client, order, header, detail
):
    response = post_stripe_webhook(client, stripe_event("checkout.session.completed", {"id": "cs_1"}), header=header)

    assert (response.status_code, response.json()) == (400, {"detail": detail})
    assert StripeEvent.objects.count() == 0


def test_an_event_signed_with_another_secret_is_refused(stripe_settings, client):
    payload = stripe_event("checkout.session.completed", {"id": "cs_1"})

    response = post_stripe_webhook(client, payload, header=stripe_signature(payload, "whsec_other"))

    assert (response.status_code, response.json()) == (400, {"detail": "Invalid Stripe-Signature."})


def test_each_event_is_stored_once_by_its_stripe_id(stripe_settings, client):
    payload = stripe_event("checkout.session.expired", {"id": "cs_1"}, event_id="evt_1")

    first = post_stripe_webhook(client, payload)
    second = post_stripe_webhook(client, payload)

    assert [first.json(), second.json()] == [{"status": "recorded"}, {"status": "duplicate"}]
    assert list(StripeEvent.objects.values_list("event_id", "event_type", "status")) == [
        ("evt_1", "checkout.session.expired", "received")
    ]


def deliver(client, payload: bytes) -> StripeEvent:
    assert post_stripe_webhook(client, payload).status_code == 200
    row = StripeEvent.objects.latest("received_at")
    handle_stripe_event_row(stripe_event_id=row.pk)
    handle_stripe_event_row(stripe_event_id=row.pk)  # a repeated job changes nothing
    row.refresh_from_db()
    return row


def test_a_paid_checkout_session_marks_the_order_paid_and_thanks_the_customer(
    stripe_settings, fake_stripe, client, order, customer
):
    create_payment_link(order_id=order.pk)

    row = deliver(client, checkout_completed(fake_stripe.sessions[0]))

    order.refresh_from_db()
    assert (row.status, row.outcome, row.order_id, row.attempts) == ("done", "payment recorded", order.pk, 1)
    assert order.status == Order.Status.PAID
    payment = order.payments.get()
    assert (payment.provider, payment.reference, payment.amount, payment.currency) == (
        "stripe", f"pi_{fake_stripe.sessions[0]['id']}", Decimal("75.50"), "usd",
    )  # fmt: skip
    assert told(customer)[-1] == (
        f"Thank you! Payment for order #{order.pk} ($75.50) is in. We'll send the tracking number when it ships."
    )


def test_a_paid_session_of_another_amount_is_flagged_not_accepted(stripe_settings, fake_stripe, client, order):
    create_payment_link(order_id=order.pk)

    deliver(client, checkout_completed(fake_stripe.sessions[0], amount_total=100))

    order.refresh_from_db()
    assert order.status == Order.Status.PENDING
    assert order.payment_problem.startswith(f"stripe payment pi_{fake_stripe.sessions[0]['id']} was 1.00 USD;")
    assert Payment.objects.get().accepted is False


def test_an_expired_session_is_recorded_and_a_refunded_charge_records_a_refund(
    stripe_settings, fake_stripe, client, order
):
    create_payment_link(order_id=order.pk)
    session = fake_stripe.sessions[0]

    expired = deliver(client, stripe_event("checkout.session.expired", {**session, "status": "expired"}))
    deliver(client, checkout_completed(session))
    refunded = deliver(
        client,
        stripe_event(
            "charge.refunded",
            {
                "id": "ch_1",
                "object": "charge",
                "amount_refunded": 7550,
                "currency": "usd",
                "metadata": {"order_id": str(order.pk)},
            },
        ),
    )

    assert (expired.outcome, refunded.outcome) == ("session expiry recorded", "refund recorded")
    assert list(order.payments.values_list("kind", "amount")) == [
        ("payment", Decimal("75.50")),
        ("refund", Decimal("75.50")),
    ]
    assert "stripe_session_expired" in order.events.values_list("kind", flat=True)
