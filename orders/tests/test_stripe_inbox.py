"""Nothing Stripe tells the shop is lost (issue 19): an event stored while Redis is away is handled once it is back,
a handler that raises leaves the event failed with its error in sight and the sweep tries it again with backoff up
to a limit, and Stripe's redelivery of a failed event is handled instead of being answered as a duplicate.

`django_db(transaction=True)`: the webhook enqueues after commit, a real worker handles the events in its own
threads, and another connection holds the order's row lock.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from dramatiq.brokers.redis import RedisBroker

from notifications.models import Notification
from orders.models import Order, StripeEvent
from orders.services import place_order
from orders.stripe_payments import create_payment_link
from orders.tasks import handle_stripe_event
from philia import today
from philia.tests.concurrency import locked_elsewhere
from philia.tests.factories import make_customer, make_item
from testing.stripe import checkout_completed, post_stripe_webhook, stripe_event

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("stripe_settings")]

# The scheduler enqueues this actor every minute; tests send it as the scheduler does.
SWEEP = "requeue_stale_events_job"
BUSY = "Busy: The shop is busy with that right now; nothing was changed. Please try again."


@pytest.fixture
def order() -> Order:
    customer = make_customer("tt-1", conversation_id="conv-1", last_inbound_at=timezone.now())
    make_item("JACKET-1", price="45.00", held_by=customer, held_until=timezone.now() + timedelta(hours=1))
    return place_order(customer=customer)


def test_an_event_stored_while_redis_is_unreachable_is_handled_by_the_sweep_once_redis_is_back(
    client, monkeypatch, fake_stripe, order, dramatiq_worker
):
    create_payment_link(order_id=order.pk)
    # A Redis that is not there (port 1): the enqueue after the webhook's commit fails.
    unreachable = RedisBroker(url="redis://127.0.0.1:1/0", middleware=[], socket_connect_timeout=0.2)
    monkeypatch.setattr(handle_stripe_event, "broker", unreachable)

    answer = post_stripe_webhook(client, checkout_completed(fake_stripe.sessions[0]))
    dramatiq_worker.drain()

    assert answer.json() == {"status": "recorded"}
    assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING

    monkeypatch.undo()  # Redis is back; the event has waited longer than the sweep lets it
    StripeEvent.objects.update(received_at=timezone.now() - timedelta(minutes=10))
    dramatiq_worker.broker.get_actor(SWEEP).send()
    dramatiq_worker.drain()

    assert Order.objects.get(pk=order.pk).status == Order.Status.PAID
    assert list(StripeEvent.objects.values_list("status", "attempts", "outcome", "order_id")) == [
        ("done", 1, "payment recorded", order.pk)
    ]


def test_a_handler_that_raises_leaves_the_event_failed_in_sight_and_the_sweep_retries_it_with_backoff_up_to_a_limit(
    settings, client, admin_client, order, dramatiq_worker
):
    settings.INBOX_RETRY_SECONDS = 60
    settings.INBOX_MAX_ATTEMPTS = 3
    sweep = dramatiq_worker.broker.get_actor(SWEEP)
    # A refund without the charge's id: handling it raises every time.
    refund = {"object": "charge", "amount_refunded": 4500, "currency": "usd", "metadata": {"order_id": str(order.pk)}}

    post_stripe_webhook(client, stripe_event("charge.refunded", refund, event_id="evt_broken"))
    dramatiq_worker.drain()

    event = StripeEvent.objects.get()
    assert (event.status, event.attempts, event.last_error) == ("failed", 1, "KeyError: 'id'")
    assert event.next_attempt_at - event.started_at == timedelta(seconds=60)
    sweep.send()  # not due yet: left alone
    dramatiq_worker.drain()
    assert StripeEvent.objects.get().attempts == 1

    tries = []
    for _ in range(2):
        StripeEvent.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))  # its time has come
        sweep.send()
        dramatiq_worker.drain()
        event.refresh_from_db()
        waited = event.next_attempt_at - event.started_at if event.next_attempt_at else None
        tries.append((event.status, event.attempts, waited))

    assert tries == [("failed", 2, timedelta(seconds=120)), ("failed", 3, None)]
    sweep.send()  # given up: the sweep leaves it to the owner
    dramatiq_worker.drain()
    assert StripeEvent.objects.get().attempts == 3
    page = reverse("admin:orders_stripeevent_change", args=[event.pk])
    assert list(Notification.objects.filter(kind="event_failed").values_list("text", "path")) == [
        (
            "Stripe event charge.refunded evt_broken was not handled after 3 tries: KeyError: 'id'. "
            "Retry it from its page once the cause is fixed.",
            page,
        )
    ]
    [section] = [section for section in today.needs_attention() if section.key == "deliveries"]
    assert (section.total, [(row.text, row.detail, row.url) for row in section.rows]) == (
        1,
        [("Stripe event charge.refunded evt_broken", "KeyError: 'id' · gave up after 3 tries", page)],
    )
    listed = admin_client.get(reverse("admin:orders_stripeevent_changelist"), {"status__exact": "failed"})
    assert "evt_broken" in listed.content.decode() and "KeyError: &#x27;id&#x27;" in listed.content.decode()


def test_a_redelivery_of_a_failed_event_is_handled_not_answered_as_a_duplicate(
    settings, client, fake_stripe, order, dramatiq_worker
):
    settings.LOCK_TIMEOUT_SECONDS = 0.2
    create_payment_link(order_id=order.pk)
    paid = checkout_completed(fake_stripe.sessions[0])

    # The order's row locked by another connection (the owner's long edit, say).
    with locked_elsewhere(lambda: Order.objects.select_for_update().get(pk=order.pk)):
        first = post_stripe_webhook(client, paid)
        dramatiq_worker.drain(timeout_ms=10_000)

    assert first.json() == {"status": "recorded"}
    assert list(StripeEvent.objects.values_list("status", "last_error")) == [("failed", BUSY)]

    again = post_stripe_webhook(client, paid)  # Stripe delivers it again later
    dramatiq_worker.drain()

    assert again.json() == {"status": "reopened"}
    assert Order.objects.get(pk=order.pk).status == Order.Status.PAID
    assert list(StripeEvent.objects.values_list("status", "attempts", "outcome", "last_error")) == [
        ("done", 2, "payment recorded", "")
    ]
