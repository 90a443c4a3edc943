"""The webhook's job names its event's conversation, so the worker does not read the event to find the mutex;
a job without it (the sweep's, or one queued before this change) still finds it."""

import time
from datetime import timedelta

import dramatiq
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assistant.tasks import MUTEX_WAIT_SECONDS, ConversationBusy, handle_event
from conversations.models import Message
from philia.inbox import requeue_stale_events
from testing.tiktok import im_receive_msg_body, post_webhook
from tiktok.limits import conversation_mutex
from tiktok.models import WebhookEvent
from tiktok.services import conversation_key

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tiktok_settings", "dramatiq_broker")]


def queued_jobs(broker) -> list[dramatiq.Message]:
    """The handle_event jobs waiting in Redis (the queue's message hash)."""
    stored = broker.client.hvals(f"{broker.namespace}:{handle_event.queue_name}.msgs")
    return [job for job in map(dramatiq.Message.decode, stored) if job.actor_name == handle_event.actor_name]


def test_the_webhooks_job_carries_the_events_conversation(client, dramatiq_broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert post_webhook(client, im_receive_msg_body("hi!", message_id="msg-1")).status_code == 200

    event = WebhookEvent.objects.get()
    assert [tuple(job.args) for job in queued_jobs(dramatiq_broker)] == [(event.pk, conversation_key(event=event))]
    assert event.conversation_id and conversation_key(event=event) == event.conversation_id


def test_the_sweeps_job_names_no_conversation(client, dramatiq_broker, django_capture_on_commit_callbacks):
    post_webhook(client, im_receive_msg_body("hi!", message_id="msg-1"))  # its own job never went (no commit)
    event = WebhookEvent.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_stale_events(older_than=timedelta(0)) == 1

    assert [tuple(job.args) for job in queued_jobs(dramatiq_broker)] == [(event.pk,)]


def test_a_job_with_its_conversation_reads_one_statement_less_and_both_handle_the_event(client, settings):
    # Both replies in a slot of their own (whether a job sends its reply itself depends on the shop's next slot),
    # so the jobs differ only in how they learn the conversation.
    settings.TIKTOK_SENDS_PER_SECOND = 1_000_000
    for number in (1, 2):
        post_webhook(client, im_receive_msg_body("hi!", message_id=f"msg-{number}", user=f"fan-{number}"))
    first, second = WebhookEvent.objects.order_by("pk")

    with CaptureQueriesContext(connection) as without:
        handle_event.fn(first.pk)
    with CaptureQueriesContext(connection) as with_key:
        handle_event.fn(second.pk, conversation_key(event=second))

    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {WebhookEvent.Status.DONE}
    assert len(with_key.captured_queries) == len(without.captured_queries) - 1
    # A job for an event already handled changes nothing, whichever form it has.
    handle_event.fn(second.pk, conversation_key(event=second))
    handle_event.fn(first.pk)
    assert WebhookEvent.objects.filter(status=WebhookEvent.Status.DONE, attempts=1).count() == 2


def test_a_dms_handling_takes_up_and_finishes_its_event_in_one_statement_each(client):
    # A job with its conversation does not read the event first: it is taken up (processing, a try counted) by
    # the statement that finds the conversation's waiting events, and marked done with the reply it queues.
    post_webhook(client, im_receive_msg_body("hi!", message_id="msg-1"))
    event = WebhookEvent.objects.get()

    with CaptureQueriesContext(connection) as queries:
        handle_event.fn(event.pk, conversation_key(event=event))

    on_the_event = [query["sql"].split(" SET ")[1][:20] for query in queries if "tiktok_webhookevent" in query["sql"]]
    assert on_the_event == ['"status" = \'processi', '"status" = \'done\', "']
    assert list(WebhookEvent.objects.values_list("status", "attempts")) == [("done", 1)]


def test_an_event_left_processing_by_a_worker_that_died_is_taken_up_again_by_the_next_job(client):
    post_webhook(client, im_receive_msg_body("hi!", message_id="msg-1"))
    event = WebhookEvent.objects.get()
    # Taken up by a worker that was killed: the conversation's mutex is free again, the event still processing.
    WebhookEvent.objects.update(status="processing", attempts=1, started_at=timezone.now() - timedelta(seconds=50))

    handle_event.fn(event.pk)

    assert list(WebhookEvent.objects.values_list("status", "attempts")) == [("done", 2)]
    assert Message.objects.filter(direction="outbound", in_reply_to__tiktok_message_id="msg-1").count() == 1


def test_a_job_whose_event_the_busy_conversations_worker_has_taken_up_ends_without_waiting(client):
    post_webhook(client, im_receive_msg_body("hi!", message_id="msg-1"))
    event = WebhookEvent.objects.get()
    mutex = conversation_mutex(conversation_key(event=event))
    with mutex.acquire():  # another worker answers the conversation, and has taken this bubble into its turn
        WebhookEvent.objects.update(status="processing", attempts=1, started_at=timezone.now())
        started = time.monotonic()
        handle_event.fn(event.pk, conversation_key(event=event))
        assert time.monotonic() - started < MUTEX_WAIT_SECONDS / 2  # no thread held waiting for the conversation

        # One still received may come after that worker's turn: its job waits for the conversation, then retries.
        WebhookEvent.objects.update(status="received")
        with pytest.raises(ConversationBusy):
            handle_event.fn(event.pk, conversation_key(event=event))
    assert list(WebhookEvent.objects.values_list("status", flat=True)) == ["received"]


def test_a_job_for_a_conversation_in_a_long_turn_frees_its_thread_within_half_a_second(client):
    """While one customer floods, their jobs must not hold the workers' threads waiting for their conversation:
    everyone else's DMs would wait behind them."""
    post_webhook(client, im_receive_msg_body("hi!", message_id="msg-1"))
    event = WebhookEvent.objects.get()
    mutex = conversation_mutex(conversation_key(event=event))
    with mutex.acquire():  # a long turn of the same conversation
        started = time.monotonic()
        with pytest.raises(ConversationBusy):
            handle_event.fn(event.pk, conversation_key(event=event))
        waited = time.monotonic() - started

    assert waited < 0.5
    assert list(WebhookEvent.objects.values_list("status", flat=True)) == ["received"]
