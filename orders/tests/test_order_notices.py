"""The owner marks an order paid, ships it or cancels it in the admin: the customer is told through the outbox (its
window, quota, STOP and pause rules), and the order's history says whether and when they were told."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from conversations.models import Message
from conversations.outbox import send_outbound_message
from conversations.services import opt_out, pause_bot
from orders.models import Order
from orders.services import mark_paid, place_order
from philia.tests.factories import make_customer, make_item

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tiktok_settings")]

CHANGELIST = reverse("admin:orders_order_changelist")


def an_order(*, wrote_ago: timedelta = timedelta(minutes=5), **customer_fields) -> Order:
    """An order awaiting payment from a customer who wrote twice, the last time `wrote_ago`."""
    now = timezone.now()
    fields = {"conversation_id": "conv-1", "last_inbound_at": now - wrote_ago, **customer_fields}
    customer = make_customer("tt-1", username="vintagefan", **fields)
    for number in range(2):
        Message.objects.create(
            customer=customer, role="user", direction="inbound", text=f"hi {number}", tiktok_message_id=f"in-{number}"
        )
    make_item("VNT-NIKE-WB-001", price="45.00", held_by=customer, held_until=now + timedelta(hours=1))
    return place_order(customer=customer)


def step(admin_client, action: str, order: Order, **fields: str) -> None:
    response = admin_client.post(
        CHANGELIST, {"action": action, "_selected_action": [order.pk], "apply": "yes", **fields}, follow=True
    )
    assert response.status_code == 200


def told(order: Order, kind: str) -> tuple[str | None, str | None, str]:
    """The history line of `kind`: the text and state of the message that told the customer, and why not."""
    event = order.events.select_related("notice").get(kind=kind)
    notice = event.notice
    return (notice.text if notice else None, notice.state if notice else None, event.not_told_because)


def history_page(admin_client, order: Order) -> str:
    return admin_client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()


def test_marking_paid_thanks_the_customer_and_the_history_links_the_message(admin_client):
    order = an_order()

    step(admin_client, "mark_paid", order, **{f"reference_{order.pk}": "PayPal 7X"})

    assert told(order, "paid") == (
        f"Thank you! Payment for order #{order.pk} ($45.00) is in. We'll send the tracking number when it ships.",
        "queued",
        "",
    )
    assert Message.objects.get(direction="outbound").role == "system"
    page = history_page(admin_client, order)
    assert "Customer told" in page and "Queued, not sent yet" in page


def test_shipping_tells_the_customer_the_tracking_number_and_the_history_links_the_message(admin_client):
    order = mark_paid(order=an_order())

    step(admin_client, "mark_shipped", order, **{f"tracking_{order.pk}": "1Z999", f"carrier_{order.pk}": "ups"})

    assert told(order, "shipped") == (
        f"Good news: order #{order.pk} has shipped! UPS tracking number: 1Z999. "
        "Follow it here: https://www.ups.com/track?tracknum=1Z999",
        "queued",
        "",
    )


def test_cancelling_an_unpaid_order_tells_the_customer_its_pieces_are_back_on_sale(admin_client):
    order = an_order()

    step(admin_client, "cancel_orders", order)

    assert told(order, "cancelled") == (
        f"Sorry: the shop has cancelled order #{order.pk}, and VNT-NIKE-WB-001 is back on sale. "
        "Message us if you have any questions.",
        "queued",
        "",
    )


def test_cancelling_a_paid_order_tells_the_customer_they_will_be_refunded(admin_client):
    order = mark_paid(order=an_order())

    step(admin_client, "cancel_orders", order)

    assert told(order, "cancelled")[0] == (
        f"Sorry: the shop has cancelled order #{order.pk}, and VNT-NIKE-WB-001 is back on sale. "
        "Your payment will be refunded in full. Message us if you have any questions."
    )


def test_once_the_message_has_gone_the_history_says_when(admin_client):
    order = an_order()
    step(admin_client, "mark_paid", order)

    sent = send_outbound_message(message_id=order.events.get(kind="paid").notice_id)

    assert sent.state == "sent"
    assert f"Yes, {timezone.localtime(sent.sent_at):%Y-%m-%d %H:%M}" in history_page(admin_client, order)


def test_after_the_reply_window_paid_is_not_told_and_the_history_says_why(admin_client):
    order = an_order(wrote_ago=timedelta(hours=50))

    step(admin_client, "mark_paid", order)

    assert told(order, "paid") == (None, None, "their 48-hour reply window had closed")
    assert not Message.objects.filter(direction="outbound").exists()
    assert "Not told: their 48-hour reply window had closed" in history_page(admin_client, order)


def test_after_the_reply_window_shipped_and_cancelled_go_as_the_owners_follow_ups(admin_client):
    shipped = mark_paid(order=an_order(wrote_ago=timedelta(hours=50)))
    make_item("VNT-LEVI-501-002", held_by=shipped.customer, held_until=timezone.now() + timedelta(hours=1))
    cancelled = place_order(customer=shipped.customer)

    step(admin_client, "mark_shipped", shipped, **{f"tracking_{shipped.pk}": "9400111"})
    step(admin_client, "cancel_orders", cancelled)

    assert told(shipped, "shipped")[1:] == ("queued", "")
    assert told(cancelled, "cancelled")[1:] == ("queued", "")
    assert list(Message.objects.filter(direction="outbound").values_list("role", flat=True)) == ["staff", "staff"]


def test_after_the_follow_ups_are_used_the_notice_is_blocked_and_the_history_says_so(admin_client):
    order = mark_paid(order=an_order(wrote_ago=timedelta(hours=50)))
    for number in range(3):
        Message.objects.create(customer=order.customer, role="staff", direction="outbound", state="sent",
                               text=f"follow-up {number}", sent_at=timezone.now())  # fmt: skip
    step(admin_client, "mark_shipped", order, **{f"tracking_{order.pk}": "9400111"})

    blocked = send_outbound_message(message_id=order.events.get(kind="shipped").notice_id)

    assert blocked.state == "blocked"
    assert "No: blocked (The 48-hour reply window closed at" in history_page(admin_client, order)


def test_with_the_first_messages_quota_used_up_the_notice_is_blocked_and_the_history_says_so(admin_client):
    order = an_order()
    Message.objects.filter(direction="inbound").exclude(tiktok_message_id="in-0").delete()  # they wrote once
    for number in range(10):
        Message.objects.create(customer=order.customer, role="assistant", direction="outbound", state="sent",
                               text=f"answer {number}", sent_at=timezone.now())  # fmt: skip
    step(admin_client, "mark_paid", order)

    blocked = send_outbound_message(message_id=order.events.get(kind="paid").notice_id)

    assert blocked.state == "blocked"
    assert "No: blocked (Quota used up: 10 of 10 messages" in history_page(admin_client, order)


def test_after_stop_the_thanks_is_not_sent_but_the_owners_shipping_news_is(admin_client):
    order = an_order()
    opt_out(customer=order.customer)

    step(admin_client, "mark_paid", order)
    step(admin_client, "mark_shipped", order, **{f"tracking_{order.pk}": "1Z1"})

    assert told(order, "paid") == (None, None, "they sent STOP")
    assert told(order, "shipped")[1:] == ("queued", "")
    assert "Not told: they sent STOP" in history_page(admin_client, order)


def test_a_paused_bot_does_not_silence_the_owners_order_news(admin_client):
    order = an_order()
    pause_bot(customer=order.customer)

    step(admin_client, "mark_paid", order)
    step(admin_client, "cancel_orders", order)

    sent = [send_outbound_message(message_id=event.notice_id).state for event in order.events.exclude(notice=None)]
    assert sent == ["sent", "sent"]


def test_a_customer_with_no_tiktok_conversation_is_not_told_and_the_history_says_why(admin_client):
    order = an_order(conversation_id="")

    step(admin_client, "mark_paid", order)

    assert told(order, "paid") == (None, None, "they have no TikTok conversation to write to")


def test_history_lines_that_tell_nobody_say_nothing_about_it(admin_client):
    order = an_order()

    assert told(order, "placed") == (None, None, "")
