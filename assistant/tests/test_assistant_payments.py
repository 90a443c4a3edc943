"""Payment and order talk in the DM: "paid!", "cancel my order", "venmo ok?", Stripe links. PostgreSQL, no AI."""

import pytest

from assistant.services import answer
from assistant.tests.assistant_support import hold, inbound, status_of, text_of
from inventory.models import Item
from inventory.services import join_waitlist
from notifications.models import Notification
from orders.models import Order
from orders.services import mark_paid, mark_shipped


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
