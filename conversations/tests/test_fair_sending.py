"""Send slots are shared between customers: a customer with many replies waiting takes at most half the shop's
sends, so a reply to anyone else goes out within about one slot; each customer's replies keep their order. Real
worker threads on the real broker, sends to the fake TikTok API."""

import time

import pytest
from django.db import transaction
from django.utils import timezone

from conversations.models import Customer, Message
from conversations.services import queue_outbound_message
from tiktok.limits import book_send, customer_send_interval_ms

# transaction=True: the worker's threads must see the committed rows, and on_commit must enqueue.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("tiktok_settings")]


def _customer(name: str) -> Customer:
    customer = Customer.objects.create(
        tiktok_user_id=f"{name}-id", username=name, conversation_id=f"conv-{name}", last_inbound_at=timezone.now()
    )
    for number in range(2):  # a customer who wrote again: TikTok's quota of 10 replies no longer applies
        Message.objects.create(
            customer=customer, role="user", direction="inbound", text="hi", tiktok_message_id=f"{name}-in-{number}"
        )
    return customer


def test_a_reply_to_another_customer_goes_out_within_a_slot_of_a_backlog(fake_tiktok, dramatiq_worker, settings):
    settings.TIKTOK_SENDS_PER_SECOND = 20  # 10 a second at most for one customer
    flood, other = _customer("flood"), _customer("other")
    with transaction.atomic():
        for number in range(30):
            queue_outbound_message(customer=flood, text=f"reply {number}", role="staff")
    queue_outbound_message(customer=other, text="your answer", role="staff")

    deadline = time.monotonic() + 20
    while len(fake_tiktok.sends) < 31 and time.monotonic() < deadline:
        dramatiq_worker.drain()  # the backlog's sends wait for their slots off the queue: come back for them
        time.sleep(0.1)

    order = [send["text"]["body"] for send in fake_tiktok.sends]
    assert len(order) == 31
    # Arrival order would have sent it 31st; shared slots send it among the first few.
    assert order.index("your answer") <= 3
    assert [text for text in order if text != "your answer"] == [f"reply {number}" for number in range(30)]
    assert set(Message.objects.filter(direction="outbound").values_list("state", flat=True)) == {"sent"}


def booked_at(customer_id: str) -> tuple[float, int]:
    """(when the slot booked now comes, in ms of this machine's clock, which Redis shares; what was booked)."""
    asked = time.time() * 1000
    slot = book_send(customer_id)
    return asked + slot.wait_ms, slot.booked


def test_a_customers_sends_are_booked_one_interval_apart_and_an_idle_one_waits_for_nothing(settings, dramatiq_broker):
    settings.TIKTOK_SENDS_PER_SECOND = 20  # the shop's slots 50 ms apart, one customer's 100 ms
    interval = customer_send_interval_ms()
    assert interval == 100

    first = book_send("busy")
    slots = [booked_at("busy") for _ in range(3)]

    assert (first.wait_ms, first.booked) == (0, 2)
    # The others wait for their customer's slots, each told its own, one customer interval apart.
    assert [booked for _, booked in slots] == [1, 1, 1]
    for (earlier, _), (later, _) in zip(slots, slots[1:], strict=False):
        assert abs(later - earlier - interval) <= 10
    # Anyone else's send takes the shop's next slot, not a place behind the busy customer's.
    idle = book_send("idle")
    assert idle.booked == 2 and idle.wait_ms <= 50
