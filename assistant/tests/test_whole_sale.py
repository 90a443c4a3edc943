"""A whole sale, DM to shipped, through the real pipeline: signed TikTok webhooks, the real Dramatiq worker on
Redis, the fake Stripe API (a Checkout Session created by the payment-link worker), Stripe's webhook signed the
way Stripe signs it, and the fake TikTok API receiving every message.

transaction=True: the worker's threads must see committed rows.
"""

from typing import Any

import pytest

from assistant.tests.test_assistant_conversations import NIKE, Chat, lines
from inventory.models import Item
from inventory.seed_data import SEED_ITEMS
from inventory.services import add_items
from orders.models import Carrier, Order
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


def test_a_whole_sale_from_search_to_the_tracking_number(
    client, dramatiq_worker, fake_tiktok, stripe_settings, fake_stripe, settings
):
    settings.SHIPPING_INSTRUCTIONS = "We ship within 2 days."
    add_items(items=SEED_ITEMS)
    chat = Chat(client=client, worker=dramatiq_worker, fake_tiktok=fake_tiktok, user="cleo")

    assert lines(chat.say("got any nike jackets in L?")) == [NIKE]
    assert chat.say("I'll take it").startswith(f"Done! {NIKE} is on hold for you until ")

    # "buy": the order, then the payment link from the worker (two messages, sent by concurrent worker threads).
    sent = chat.deliver("buy")
    order = Order.objects.get(customer=chat.customer)
    session = fake_stripe.sessions[0]
    assert (session["amount_total"], session["client_reference_id"]) == (4500, str(order.pk))
    assert sorted(sent) == sorted(
        [
            f"Your order #{order.pk} is in:\nVNT-NIKE-WB-001 · Vintage Nike Windbreaker · $45\nTotal: $45\n"
            f"Your secure payment link (card, Apple Pay or Google Pay) comes in a moment; #{order.pk} is your "
            "reference.\nWe ship within 2 days.",
            f"Pay for order #{order.pk} ($45.00) securely here: {session['url']}\n"
            f"If the link gives you any trouble, your order number is #{order.pk}.",
        ]
    )
    assert not any("PayPal" in text for text in sent)

    # Stripe says it is paid, signed the Stripe way: the order is paid and the customer thanked.
    before = len(fake_tiktok.sends)
    response = post_stripe_webhook(client, checkout_completed(session))
    assert response.status_code == 200, response.content
    dramatiq_worker.drain()
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert sent_since(fake_tiktok, before, "cleo") == [
        f"Thank you! Payment for order #{order.pk} ($45.00) is in. We'll send the tracking number when it ships."
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
        f"Order #{order.pk} · 1 item · $45 · shipped (tracking number 9400111899223)"
    )
    assert Item.objects.get(sku="VNT-NIKE-WB-001").status == Item.Status.SOLD
