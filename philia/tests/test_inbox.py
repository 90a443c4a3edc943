"""The inbox every delivery shares (`philia.inbox`): stored once, a failed one reopened by its redelivery, taken up
by one worker, failed with backoff up to a limit and then given up with the owner told, and the one sweep over
every kind. Stripe's and TikTok's events are its subjects; the webhooks and workers have their own tests."""

from datetime import timedelta

import dramatiq
import pytest
from django.utils import timezone
from dramatiq.brokers.redis import RedisBroker

from notifications.models import Notification
from orders.models import StripeEvent
from philia import inbox
from tiktok.models import WebhookEvent

pytestmark = pytest.mark.django_db


def _stripe(event_id: str = "evt_1", **fields) -> StripeEvent:
    return StripeEvent.objects.create(event_id=event_id, event_type="charge.refunded", payload={}, **fields)


def _tiktok(message_id: str = "m-1", **fields) -> WebhookEvent:
    return WebhookEvent.objects.create(
        event="im_receive_msg", tiktok_message_id=message_id, dedupe_key=f"message:{message_id}", raw_body="{}",
        **fields,
    )  # fmt: skip


def _record(event_id: str = "evt_1") -> inbox.Recorded:
    return inbox.record(StripeEvent, unique="event_id", event_id=event_id, event_type="charge.refunded", payload={})


def test_a_delivery_is_stored_once_and_only_a_failed_one_is_reopened_by_its_repeat():
    first = _record()
    again = _record()
    StripeEvent.objects.update(status="failed", attempts=2, last_error="boom", next_attempt_at=timezone.now())
    reopened = _record()
    StripeEvent.objects.update(status="done")
    after_done = _record()

    assert (first.outcome, again, reopened, after_done) == (
        "new",
        inbox.Recorded(None, "duplicate"),
        inbox.Recorded(first.event_id, "reopened"),
        inbox.Recorded(None, "duplicate"),
    )
    assert list(StripeEvent.objects.values_list("status", "attempts", "last_error", "next_attempt_at")) == [
        ("done", 2, "", None)
    ]


def test_an_event_is_taken_up_once_and_an_abandoned_one_only_when_its_worker_is_known_gone():
    event = _stripe()

    [claimed] = inbox.claim(StripeEvent.objects.filter(pk=event.pk))
    again = inbox.claim(StripeEvent.objects.filter(pk=event.pk))
    still_working = inbox.claim(
        StripeEvent.objects.filter(pk=event.pk), processing_since_before=claimed.started_at - timedelta(seconds=1)
    )
    [abandoned] = inbox.claim(StripeEvent.objects.filter(pk=event.pk), processing_since_before=timezone.now())

    assert (claimed.pk, claimed.status, claimed.attempts, claimed.payload) == (event.pk, "processing", 1, {})
    assert (again, still_working) == ([], [])
    assert (abandoned.attempts, abandoned.started_at > claimed.started_at) == (2, True)
    assert StripeEvent.objects.get().status == "processing"


def test_a_done_event_says_what_was_done():
    [event] = inbox.claim(StripeEvent.objects.filter(pk=_stripe().pk))

    inbox.finish(event, outcome="refund recorded")

    done = StripeEvent.objects.get()
    assert (done.status, done.outcome, done.last_error, done.processed_at is not None) == (
        "done",
        "refund recorded",
        "",
        True,
    )


def _fail_once(event: inbox.InboxEvent, error: Exception, *, retry: bool = True) -> inbox.Failure:
    """One try that raises `error`, as a worker makes it once the event is reopened (by the sweep, say)."""
    inbox.reopen(type(event)._default_manager.filter(pk=event.pk))
    [claimed] = inbox.claim(type(event)._default_manager.filter(pk=event.pk))
    try:
        raise error
    except Exception as raised:
        return inbox.fail(claimed, error=raised, retry=retry)


def test_a_failed_try_is_tried_again_later_each_time_until_the_limit_then_the_owner_is_told(settings):
    settings.INBOX_RETRY_SECONDS = 60
    settings.INBOX_MAX_ATTEMPTS = 3
    event = _stripe()

    waits = []
    for _ in range(3):
        failure = _fail_once(event, KeyError("id"))
        stored = StripeEvent.objects.get()
        waits.append(
            (failure.attempts, failure.gave_up, stored.next_attempt_at and stored.next_attempt_at - stored.started_at)
        )

    assert waits == [(1, False, timedelta(seconds=60)), (2, False, timedelta(seconds=120)), (3, True, None)]
    assert (stored.status, stored.last_error) == ("failed", "KeyError: 'id'")
    assert list(Notification.objects.values_list("kind", "cause", "text", "path")) == [
        (
            "event_failed",
            f"event_failed:orders.stripeevent:{event.pk}:3",
            "Stripe event charge.refunded evt_1 was not handled after 3 tries: KeyError: 'id'. "
            "Retry it from its page once the cause is fixed.",
            f"/admin/orders/stripeevent/{event.pk}/change/",
        )
    ]


def test_an_error_retrying_cannot_help_gives_up_at_once():
    event = _tiktok()

    failure = _fail_once(event, ValueError("no sender"), retry=False)

    assert (failure.attempts, failure.gave_up) == (1, True)
    assert list(Notification.objects.values_list("text", flat=True)) == [
        "TikTok event im_receive_msg m-1 was not handled after 1 try: ValueError: no sender. "
        "Retry it from its page once the cause is fixed."
    ]


def _queued(broker: RedisBroker) -> list[tuple[str, tuple]]:
    """The jobs waiting in Redis' default queue: actor and arguments."""
    stored = broker.client.hvals(f"{broker.namespace}:default.msgs")
    return sorted((job.actor_name, tuple(job.args)) for job in map(dramatiq.Message.decode, stored))


def test_the_sweep_sends_lost_events_of_every_inbox_again_and_tries_due_failures_again(
    settings, dramatiq_broker, django_capture_on_commit_callbacks
):
    settings.TIKTOK_STALE_EVENT_SECONDS = 45
    settings.STRIPE_STALE_EVENT_SECONDS = 90
    now = timezone.now()
    long_ago = now - timedelta(minutes=5)
    lost_dm = _tiktok("lost", received_at=now - timedelta(seconds=50))
    _tiktok("fresh", received_at=now - timedelta(seconds=10))
    abandoned = _stripe("evt_abandoned", status="processing", attempts=1, started_at=now - timedelta(seconds=100))
    _stripe("evt_working", status="processing", attempts=1, started_at=now - timedelta(seconds=50))
    due = _stripe("evt_due", status="failed", attempts=2, last_error="Busy", next_attempt_at=now - timedelta(seconds=1))
    _stripe("evt_later", status="failed", attempts=1, last_error="Busy", next_attempt_at=now + timedelta(seconds=30))
    _stripe("evt_given_up", status="failed", attempts=5, last_error="KeyError: 'id'", received_at=long_ago)
    _stripe("evt_done", status="done", received_at=long_ago)

    with django_capture_on_commit_callbacks(execute=True):
        sent = inbox.requeue_stale_events(now=now)
    with django_capture_on_commit_callbacks(execute=True):
        sent_again = inbox.requeue_stale_events(now=now + timedelta(seconds=29))

    assert (sent, sent_again) == (3, 0)  # each lost one is sent once per stale period
    assert _queued(dramatiq_broker) == sorted(
        [("handle_event", (lost_dm.pk,)), ("handle_stripe_event", (abandoned.pk,)), ("handle_stripe_event", (due.pk,))]
    )
    assert list(StripeEvent.objects.order_by("pk").values_list("event_id", "status", "next_attempt_at")) == [
        ("evt_abandoned", "processing", None),
        ("evt_working", "processing", None),
        ("evt_due", "received", None),
        ("evt_later", "failed", now + timedelta(seconds=30)),
        ("evt_given_up", "failed", None),
        ("evt_done", "done", None),
    ]


def test_the_sweep_gives_up_an_event_whose_tries_keep_stopping_their_worker(settings, dramatiq_broker):
    settings.INBOX_MAX_ATTEMPTS = 5
    event = _stripe(status="processing", attempts=5, started_at=timezone.now() - timedelta(minutes=5))

    sent = inbox.requeue_stale_events()

    stored = StripeEvent.objects.get()
    assert (sent, stored.status, stored.next_attempt_at, stored.last_error) == (
        0,
        "failed",
        None,
        "Stopped while being handled, 5 times (its worker died or ran out of time).",
    )
    assert Notification.objects.get().cause == f"event_failed:orders.stripeevent:{event.pk}:5"


def test_every_kind_of_delivery_is_an_inbox_with_its_actor():
    assert [(model, model.inbox_label, model.inbox_actor) for model in inbox.inbox_models()] == [
        (StripeEvent, "Stripe", "handle_stripe_event"),
        (WebhookEvent, "TikTok", "handle_event"),
    ]
