"""A whole sale, DM to shipped, at an offered price, through the real pipeline: signed TikTok webhooks, the real
Dramatiq worker on Redis, the fake Stripe API (a Checkout Session created by the payment-link worker), Stripe's
webhook signed the way Stripe signs it, and the fake TikTok API receiving every message.

transaction=True: the worker's threads must see committed rows.
"""

from decimal import Decimal
from typing import Any

import pytest

from assistant.tests.test_assistant_conversations import NIKE, Chat, lines
from inventory.models import Item
from inventory.seed_data import SEED_ITEMS
from inventory.services import add_items
from orders.models import Carrier, Offer, Order, Payment
from orders.services import mark_shipped
from testing.stripe import checkout_completed, post_stripe_webhook
from testing.tiktok import conversation_id_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("tiktok_settings")]


def sent_since(fake_tiktok: Any, before: int, user: str) -> list[str]:
    return [
        send["text"]["body"]
        for send in fake_tiktok.sends[before:]
        if send["recipient"] == conversation_id_for(user) and "text" in send
    ]


def test_a_whole_sale_from_search_and_an_accepted_offer_to_the_tracking_number(
    client, dramatiq_worker, fake_tiktok, stripe_settings, fake_stripe, settings
):
    settings.SHIPPING_INSTRUCTIONS = "We ship within 2 days."
    add_items(items=SEED_ITEMS)
    chat = Chat(client=client, worker=dramatiq_worker, fake_tiktok=fake_tiktok, user="cleo")

    assert lines(chat.say("got any nike jackets in L?")) == [NIKE]

    # An offer at or above the floor ($45 listed, floor 80%: $36) is accepted at once: held for her at $40.
    assert chat.say("would you take $40 for it?").startswith(
        "Your offer works! VNT-NIKE-WB-001 · Vintage Nike Windbreaker is on hold for you at $40 until "
    )
    item = Item.objects.get(sku="VNT-NIKE-WB-001")
    assert (item.status, item.held_by_id, item.price) == (Item.Status.RESERVED, chat.customer.pk, Decimal("45.00"))
    offer = Offer.objects.get(customer=chat.customer)
    assert (offer.status, offer.agreed_price, offer.hold_since) == ("accepted", Decimal("40.00"), item.held_since)

    # "buy": the order at the offered price, then the payment link from the worker (two messages, sent by
    # concurrent worker threads).
    sent = chat.deliver("buy")
    order = Order.objects.get(customer=chat.customer)
    assert order.total == Decimal("40.00")
    assert list(order.lines.values_list("price", flat=True)) == [Decimal("40.00")]
    (session,) = fake_stripe.sessions
    assert (session["amount_total"], session["client_reference_id"]) == (4000, str(order.pk))
    assert [amount for _, amount in session["line_items_sent"]] == [4000]
    assert sorted(sent) == sorted(
        [
            f"Your order #{order.pk} is in:\nVNT-NIKE-WB-001 · Vintage Nike Windbreaker · $40\nTotal: $40\n"
            f"Your secure payment link (card, Apple Pay or Google Pay) comes in a moment; #{order.pk} is your "
            "reference.\nWe ship within 2 days.",
            f"Pay for order #{order.pk} ($40.00) securely here: {session['url']}\n"
            f"If the link gives you any trouble, your order number is #{order.pk}.",
        ]
    )
    assert not any("PayPal" in text or "$45" in text for text in sent)

    # Stripe says it is paid, signed the Stripe way: the order is paid at the offered price (Stripe's amount is
    # checked against the order's total) and the customer thanked.
    before = len(fake_tiktok.sends)
    response = post_stripe_webhook(client, checkout_completed(session))
    assert response.status_code == 200, response.content
    dramatiq_worker.drain()
    order.refresh_from_db()
    assert (order.status, order.payment_problem, order.needs_refund) == (Order.Status.PAID, "", False)
    payment = Payment.objects.get(order=order)
    assert (payment.kind, payment.provider, payment.amount, payment.currency, payment.accepted) == (
        Payment.Kind.PAYMENT,
        Payment.Provider.STRIPE,
        Decimal("40.00"),
        "usd",
        True,
    )
    assert sent_since(fake_tiktok, before, "cleo") == [
        f"Thank you! Payment for order #{order.pk} ($40.00) is in. We'll send the tracking number when it ships."
    ]

    # The owner ships it: the customer gets the tracking number and the carrier's link.
    before = len(fake_tiktok.sends)
    mark_shipped(order=order, tracking_number="9400111899223", carrier=Carrier.USPS)
    dramatiq_worker.drain()
    assert sent_since(fake_tiktok, before, "cleo") == [
        f"Good news: order #{order.pk} has shipped! USPS tracking number: 9400111899223. Follow it here: "
        "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899223"
    ]
    assert chat.say("where is my order?").splitlines()[0] == (
        f"Order #{order.pk} · 1 item · $40 · shipped (tracking number 9400111899223)"
    )
    assert Item.objects.get(sku="VNT-NIKE-WB-001").status == Item.Status.SOLD
