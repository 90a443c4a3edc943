"""The owner is told once per cause (hand-off, order placed, failed or blocked send), by email and push, after commit."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from conversations.models import Customer, Message
from conversations.outbox import send_outbound_message
from conversations.services import queue_outbound_message, request_handoff
from notifications.models import Notification
from notifications.services import (
    Later,
    NotificationNotDelivered,
    deliver_notifications,
    notify_customer_says_paid,
    notify_owner,
)
from orders.services import place_order
from philia.tests.factories import make_customer, make_item
from testing.tiktok import Reply, error

pytestmark = pytest.mark.django_db


def _writer(tiktok_user_id: str = "anna-id", username: str = "anna") -> Customer:
    return make_customer(
        tiktok_user_id, username=username, conversation_id=f"conv-{username}", last_inbound_at=timezone.now()
    )


@pytest.mark.django_db(transaction=True)  # the notification is enqueued on commit and sent by a real worker
def test_a_hand_off_tells_the_owner_once_by_email_and_push(notify_settings, push_receiver, dramatiq_worker):
    customer = _writer()

    request_handoff(customer=customer)
    request_handoff(customer=Customer.objects.get(pk="anna-id"))  # asked again while still waiting
    dramatiq_worker.drain()

    assert push_receiver.bodies == [
        {
            "event": "handoff",
            "text": "@anna asked for a person.",
            "url": "https://shop.example/admin/conversations/customer/anna-id/change/",
            "title": "Customer asked for a person",
            "content": "@anna asked for a person.\nhttps://shop.example/admin/conversations/customer/anna-id/change/",
        }
    ]
    assert [(message.to, message.subject) for message in mail.outbox] == [
        (["owner@shop.example"], "[Philia Thrifts] Customer asked for a person")
    ]
    assert "https://shop.example/admin/conversations/customer/anna-id/change/" in mail.outbox[0].body
    assert list(Notification.objects.values_list("kind", "state", "attempts")) == [("handoff", "sent", 1)]


@pytest.mark.django_db(transaction=True)  # a real worker retries the job after the push endpoint's 500
def test_a_push_that_fails_is_retried_by_the_worker_and_the_email_is_not_sent_again(
    notify_settings, push_receiver, dramatiq_worker
):
    push_receiver.fail_next(500)

    request_handoff(customer=_writer())
    dramatiq_worker.drain()

    notification = Notification.objects.get()
    assert (notification.state, notification.attempts) == ("sent", 2)
    assert len(push_receiver.bodies) == 1 and len(mail.outbox) == 1


def test_a_failed_push_leaves_the_row_pending_with_the_email_recorded(notify_settings, push_receiver):
    notification = notify_owner(kind="order_placed", cause="order_placed:7", text="@anna placed order #7.", path="/x/")
    push_receiver.fail_next(503)

    with pytest.raises(NotificationNotDelivered):
        deliver_notifications(notification_id=notification.pk)
    notification.refresh_from_db()
    first = (notification.state, notification.emailed_at is not None, notification.pushed_at, len(mail.outbox))
    delivered = deliver_notifications(notification_id=notification.pk)
    notification.refresh_from_db()

    assert first == ("pending", True, None, 1)
    assert [row.pk for row in delivered] == [notification.pk]
    assert (notification.state, notification.attempts, len(mail.outbox), len(push_receiver.bodies)) == ("sent", 2, 1, 1)


def test_a_sent_notification_is_never_sent_again(notify_settings, push_receiver):
    notification = notify_owner(kind="order_placed", cause="order_placed:8", text="Order #8.", path="/x/")
    deliver_notifications(notification_id=notification.pk)

    again = deliver_notifications(notification_id=notification.pk)

    assert again == [] and len(push_receiver.bodies) == 1 and len(mail.outbox) == 1


def test_placing_an_order_records_one_notification_for_it(notify_settings):
    customer = _writer()
    make_item("VNT-NIKE-WB-001", price="45.00", held_by=customer, held_until=timezone.now() + timedelta(hours=1))

    order = place_order(customer=customer)
    notify_owner(kind="order_placed", cause=f"order_placed:{order.pk}", text="again", path="/again/")

    notification = Notification.objects.get()
    assert (notification.kind, notification.cause, notification.text, notification.path) == (
        "order_placed",
        f"order_placed:{order.pk}",
        f"@anna placed order #{order.pk} ($45.00).",
        f"/admin/orders/order/{order.pk}/change/",
    )


def test_a_customer_saying_they_paid_is_one_notification_per_order(notify_settings):
    notify_customer_says_paid(order_id=5, customer_name="@anna")
    notify_customer_says_paid(order_id=5, customer_name="@anna")

    assert list(Notification.objects.values_list("cause", "text")) == [
        ("customer_says_paid:5", "@anna says they paid order #5: check and mark it paid.")
    ]


@pytest.mark.usefixtures("tiktok_settings")
def test_a_message_tiktok_refuses_notifies_the_owner_once(notify_settings, fake_tiktok):
    customer = _writer()
    Message.objects.create(customer=customer, role="user", direction="inbound", text="hi", tiktok_message_id="in-1")
    Message.objects.create(customer=customer, role="user", direction="inbound", text="hi", tiktok_message_id="in-2")
    message = queue_outbound_message(customer=customer, text="Hello!", role="staff")
    fake_tiktok.script("/business/message/send/", Reply(json=error(40001, "param error")))

    send_outbound_message(message_id=message.pk)
    send_outbound_message(message_id=message.pk)  # a job run twice

    notification = Notification.objects.get()
    assert (notification.kind, notification.cause, notification.path) == (
        "send_failed",
        f"message:{message.pk}",
        "/admin/conversations/customer/anna-id/change/",
    )
    assert notification.text.startswith("A message to @anna was not sent (failed): ")


@pytest.mark.usefixtures("tiktok_settings")
def test_a_blocked_message_notifies_the_owner(notify_settings):
    customer = make_customer("bob-id", username="bob")  # never wrote through TikTok: replies are blocked
    message = queue_outbound_message(customer=customer, text="Hello!", role="staff")

    send_outbound_message(message_id=message.pk)

    assert list(Notification.objects.values_list("cause", "text")) == [
        (
            f"message:{message.pk}",
            "A message to @bob was not sent (blocked): No TikTok conversation to reply to: the customer has not "
            "written through TikTok.",
        )
    ]


def test_a_burst_of_one_kind_waits_for_the_digest_window_then_goes_as_one_push(notify_settings, push_receiver):
    notify_settings.OWNER_NOTIFY_DIGEST_SECONDS = 60
    earlier = notify_owner(kind="handoff", cause="handoff:a", text="@a asked for a person.", path="/a/")
    Notification.objects.filter(pk=earlier.pk).update(state="sent", sent_at=timezone.now() - timedelta(seconds=10))
    second = notify_owner(kind="handoff", cause="handoff:b", text="@b asked for a person.", path="/b/")
    notify_owner(kind="handoff", cause="handoff:c", text="@c asked for a person.", path="/c/")

    waiting = deliver_notifications(notification_id=second.pk)
    Notification.objects.filter(pk=earlier.pk).update(sent_at=timezone.now() - timedelta(seconds=61))
    delivered = deliver_notifications(notification_id=second.pk)

    assert isinstance(waiting, Later) and 49 <= waiting.seconds <= 50
    assert len(delivered) == 2
    assert [(body["text"], body["url"], body["title"]) for body in push_receiver.bodies] == [
        (
            "@b asked for a person.\n@c asked for a person.",
            "https://shop.example/admin/",
            "2 × Customer asked for a person",
        )
    ]
    assert [message.subject for message in mail.outbox] == ["[Philia Thrifts] 2 × Customer asked for a person"]


def test_without_email_or_push_set_notifications_are_only_listed(settings, admin_client):
    settings.OWNER_EMAIL, settings.OWNER_NOTIFY_URL = "", ""
    notification = notify_owner(kind="order_placed", cause="order_placed:9", text="@anna placed order #9.", path="/o/")

    deliver_notifications(notification_id=notification.pk)
    page = admin_client.get("/admin/notifications/notification/").content.decode()

    assert Notification.objects.get().state == "skipped" and mail.outbox == []
    assert '<a href="/o/">@anna placed order #9.</a>' in page
    assert admin_client.get(f"/admin/notifications/notification/{notification.pk}/delete/").status_code == 403
