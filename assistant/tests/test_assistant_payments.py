"""Payment and order talk in the DM: "paid!", "cancel my order", "venmo ok?", Stripe links. PostgreSQL, no AI."""

from datetime import timedelta

import pytest
from django.utils import timezone

from assistant import language
from assistant.services import answer
from assistant.tests.assistant_support import hold, inbound, status_of, text_of
from conversations.models import Message
from inventory.models import Item
from inventory.services import join_waitlist
from notifications.models import Notification
from orders.models import Order
from orders.services import mark_paid, mark_shipped
from orders.stripe_payments import create_payment_link


@pytest.fixture(autouse=True)
def offline(settings):
    settings.OPENAI_API_KEY = ""
    settings.PAYMENT_PROVIDER = "manual"
    settings.SHIPPING_INSTRUCTIONS = "We ship within 2 days."


def ordered(customer, *skus):
    for sku in skus:
        hold(sku, customer)
    text = text_of(customer, "buy")
    assert text.startswith("Your order #")
    return Order.objects.filter(customer=customer).latest("pk")


def test_saying_paid_flags_the_order_and_tells_the_owner_once(stock, anna):
    order = ordered(anna, "VNT-NIKE-WB-001")

    text = text_of(anna, "paid!")
    again = text_of(anna, "sent it")

    expected = (
        f"Thank you! The owner checks payments by hand and will confirm order #{order.pk} ($45) here as soon as it "
        "shows up. We ship within 2 days."
    )
    assert (text, again) == (expected, expected)
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING and order.customer_says_paid_at is not None
    assert list(order.events.filter(kind="customer_says_paid").values_list("actor", flat=True)) == ["customer"]
    assert list(Notification.objects.filter(cause=f"customer_says_paid:{order.pk}").values_list("text", flat=True)) == [
        f"{anna} says they paid order #{order.pk}: check and mark it paid."
    ]


# transaction=True: the waitlist's turn is sent when the cancellation commits and run by a real worker on Redis.
@pytest.mark.django_db(transaction=True)
def test_cancel_my_order_puts_the_pieces_back_and_gives_the_waitlist_its_turn(stock, anna, ben, dramatiq_worker):
    order = ordered(anna, "VNT-NIKE-WB-001", "VNT-ADID-TT-004")
    join_waitlist(sku="VNT-NIKE-WB-001", customer=ben)

    text = text_of(anna, "can you cancel my order please")
    dramatiq_worker.drain()

    assert text.startswith(f"Done: order #{order.pk} is cancelled and ")
    assert "VNT-NIKE-WB-001" in text and "VNT-ADID-TT-004" in text
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert (order.events.last().kind, order.events.last().actor) == ("cancelled", "customer")
    assert status_of("VNT-ADID-TT-004") == (Item.Status.AVAILABLE, None)
    assert status_of("VNT-NIKE-WB-001") == (Item.Status.RESERVED, ben.pk)


def test_a_bare_cancel_right_after_ordering_cancels_that_order(stock, anna):
    order = ordered(anna, "VNT-NIKE-WB-001")

    text = text_of(anna, "actually cancel")

    assert text == f"Done: order #{order.pk} is cancelled and VNT-NIKE-WB-001 went back on sale. Nothing to pay."
    assert Order.objects.get(pk=order.pk).status == Order.Status.CANCELLED


def test_cancel_my_hold_still_releases_the_hold_and_leaves_orders_alone(stock, anna):
    order = ordered(anna, "VNT-NIKE-WB-001")
    hold("VNT-ADID-TT-004", anna)

    text = text_of(anna, "cancel my hold")

    assert "VNT-ADID-TT-004" in text
    assert status_of("VNT-ADID-TT-004") == (Item.Status.AVAILABLE, None)
    assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING


@pytest.mark.parametrize(("shipped", "why"), [(False, "it is already paid"), (True, "it has already shipped")])
def test_a_paid_or_shipped_order_is_not_cancelled_and_the_reply_says_why(stock, anna, shipped, why):
    order = ordered(anna, "VNT-NIKE-WB-001")
    mark_paid(order=order)
    if shipped:
        mark_shipped(order=Order.objects.get(pk=order.pk), tracking_number="1Z999")

    text = text_of(anna, "cancel my order")

    assert text == (
        f"I can't cancel order #{order.pk}: {why}. The owner handles changes to paid orders: "
        'say "human" and they\'ll get back to you.'
    )
    assert Order.objects.get(pk=order.pk).status == (Order.Status.SHIPPED if shipped else Order.Status.PAID)
    assert status_of("VNT-NIKE-WB-001")[0] == Item.Status.SOLD


def test_cancel_my_order_with_no_order_says_there_is_nothing_to_cancel(stock, anna):
    assert text_of(anna, "cancel my order") == "You have no order waiting for payment, so there is nothing to cancel."


def test_a_cancel_handled_twice_for_the_same_message_cancels_once(stock, anna):
    order = ordered(anna, "VNT-NIKE-WB-001")
    message = inbound(anna, "cancel my order")

    first = answer(customer=anna, message=message)
    second = answer(customer=anna, message=message)

    assert first is not None and second is not None and first.text == second.text
    assert first.text.startswith(f"Done: order #{order.pk} is cancelled")
    assert order.events.filter(kind="cancelled").count() == 1


INSTRUCTIONS = "To pay, send the total by PayPal to pay@shop.example."


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "venmo ok?",
            "Yes, Venmo works! We take Venmo @philia or Cash App $philia; put your order number in the note.",
        ),
        (
            "can I pay with cashapp",
            "Yes, Cash App works! We take Venmo @philia or Cash App $philia; put your order number in the note.",
        ),
        (
            "can i pay with zelle?",
            "Sorry, we don't take Zelle. We take Venmo @philia or Cash App $philia; put your order number in the "
            f"note. {INSTRUCTIONS}",
        ),
    ],
)
def test_other_ways_to_pay_are_answered_from_the_shops_payment_methods(stock, anna, settings, message, expected):
    settings.PAYMENT_METHODS = "Venmo @philia or Cash App $philia"
    settings.PAYMENT_INSTRUCTIONS = INSTRUCTIONS
    ordered(anna, "VNT-NIKE-WB-001")

    assert text_of(anna, message) == expected


def test_venmo_when_the_shop_only_takes_its_instructions_is_a_clear_no(stock, anna, settings):
    settings.PAYMENT_METHODS = ""
    settings.PAYMENT_INSTRUCTIONS = INSTRUCTIONS

    assert text_of(anna, "do you take venmo?") == (
        f"Sorry, we don't take Venmo. {INSTRUCTIONS} Hold a piece first, then say \"buy\" and I'll place your order."
    )


def test_card_with_stripe_is_yes_with_the_orders_open_link(stock, anna, settings):
    settings.PAYMENT_PROVIDER = "stripe"
    settings.PAYMENT_METHODS = ""
    order = ordered(anna, "VNT-NIKE-WB-001")
    Order.objects.filter(pk=order.pk).update(
        stripe_session_id="cs_test_1",
        stripe_session_url="https://checkout.stripe.test/c/pay/cs_test_1",
        stripe_session_expires_at=timezone.now() + timedelta(hours=1),
    )

    assert text_of(anna, "can I pay with card?") == (
        "Yes, card works! Card, Apple Pay and Google Pay work through your secure payment link: "
        "https://checkout.stripe.test/c/pay/cs_test_1"
    )


@pytest.mark.parametrize(
    ("message", "asks"),
    [
        ("venmo ok?", True),
        ("can i pay with cashapp", True),
        ("do you take zelle", True),
        ("can i pay with card?", True),
        ("ill buy it, can i pay with venmo?", False),
        ("ill take it, pay by card", False),
        ("buy", False),
        ("i paid with venmo", False),
    ],
)
def test_a_question_about_a_way_to_pay_is_told_from_an_order_or_a_hold(message, asks):
    assert language.asks_payment_method(message) is asks


def outbound_texts(customer) -> list[str]:
    return list(
        Message.objects.filter(customer=customer, direction=Message.Direction.OUTBOUND)
        .order_by("pk")
        .values_list("text", flat=True)
    )


# transaction=True: the payment link is created by the send_payment_link worker (real, on Redis) once the order
# commits, against the fake Stripe API; its DM goes out through the fake TikTok API.
@pytest.mark.django_db(transaction=True)
def test_with_stripe_buy_says_the_link_is_coming_and_the_worker_dms_it(
    stock, anna, stripe_settings, fake_stripe, tiktok_settings, dramatiq_worker
):
    hold("VNT-NIKE-WB-001", anna)

    text = text_of(anna, "buy")
    dramatiq_worker.drain()

    order = Order.objects.get(customer=anna)
    assert text == (
        f"Your order #{order.pk} is in:\nVNT-NIKE-WB-001 · Vintage Nike Windbreaker · $45\nTotal: $45\n"
        f"Your secure payment link (card, Apple Pay or Google Pay) comes in a moment; #{order.pk} is your reference.\n"
        "We ship within 2 days."
    )
    assert "PayPal" not in text
    url = fake_stripe.sessions[0]["url"]
    assert outbound_texts(anna)[-1] == (
        f"Pay for order #{order.pk} ($45.00) securely here: {url}\n"
        f"If the link gives you any trouble, your order number is #{order.pk}."
    )


def test_send_me_the_link_again_while_it_is_open_answers_with_that_link(stock, anna, stripe_settings, fake_stripe):
    order = ordered(anna, "VNT-NIKE-WB-001")
    url = create_payment_link(order_id=order.pk)

    text = text_of(anna, "can you send me the link again")

    assert text == f"Here's your payment link for order #{order.pk} ($45): {url}\nYour order number is #{order.pk}."
    assert len(fake_stripe.sessions) == 1


# transaction=True: the fresh session is created by the real worker after the turn commits.
@pytest.mark.django_db(transaction=True)
def test_an_expired_link_gets_a_fresh_one_for_the_same_order(
    stock, anna, stripe_settings, fake_stripe, tiktok_settings, dramatiq_worker
):
    order = ordered(anna, "VNT-NIKE-WB-001")
    dramatiq_worker.drain()
    Order.objects.filter(pk=order.pk).update(stripe_session_expires_at=timezone.now() - timedelta(seconds=1))

    text = text_of(anna, "the link expired")
    dramatiq_worker.drain()

    assert text == f"A fresh payment link for order #{order.pk} ($45) is on its way: it'll be here in a moment."
    assert len(fake_stripe.sessions) == 2
    order.refresh_from_db()
    fresh = fake_stripe.sessions[1]
    assert (order.stripe_session_id, fresh["client_reference_id"]) == (fresh["id"], str(order.pk))
    assert outbound_texts(anna)[-1].startswith(f"Pay for order #{order.pk} ($45.00) securely here: {fresh['url']}\n")


def test_the_link_with_manual_payment_is_the_shops_instructions(stock, anna, settings):
    settings.PAYMENT_INSTRUCTIONS = INSTRUCTIONS
    order = ordered(anna, "VNT-NIKE-WB-001")

    assert text_of(anna, "send me the payment link") == (
        f"Your order #{order.pk} ($45) is waiting for payment. {INSTRUCTIONS} Please put #{order.pk} in the note."
    )


def test_saying_paid_with_stripe_says_the_link_confirms_itself_and_still_flags_it(
    stock, anna, stripe_settings, fake_stripe
):
    stripe_settings.SHIPPING_INSTRUCTIONS = "We ship within 2 days."
    order = ordered(anna, "VNT-NIKE-WB-001")

    assert text_of(anna, "just paid") == (
        f"Thank you! A payment through the link confirms order #{order.pk} ($45) by itself: you'll get a thank-you "
        "here as soon as it lands. If you paid another way, the owner will check and confirm it here. "
        "We ship within 2 days."
    )
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING and order.customer_says_paid_at is not None
