"""A DM costs one job: the handling job sends its reply itself once the conversation is free, when the customer's
share of the sends and the shop's rate allow; a reply that must wait goes to a send job with the delay it needs.

transaction=True: the reply is sent once its row is committed, as in the worker."""

import time
from datetime import timedelta

import dramatiq
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assistant.tasks import handle_event
from conversations.models import Message
from conversations.services import queue_outbound_message
from conversations.tasks import send_message
from philia.tests.factories import make_customer
from testing.tiktok import SEND_PATH, Reply, im_receive_msg_body, post_webhook
from tiktok.limits import book_send
from tiktok.models import WebhookEvent
from tiktok.services import conversation_key
from tiktok.simulation import user_id_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("tiktok_settings")]


def test_the_handling_job_sends_its_reply_itself_with_no_second_job(client, fake_tiktok, dramatiq_broker):
    post_webhook(client, im_receive_msg_body("hi!", message_id="msg-1"))
    event = WebhookEvent.objects.get()

    handle_event.fn(event.pk, conversation_key(event=event))

    reply = Message.objects.get(direction="outbound")
    assert (reply.state, reply.attempts) == ("sent", 1)
    assert len(fake_tiktok.sends) == 1
    waiting = [
        dramatiq.Message.decode(job).actor_name
        for queue in dramatiq_broker.queues
        for job in dramatiq_broker.client.hvals(f"{dramatiq_broker.namespace}:{queue}.msgs")
    ]
    assert "send_message" not in waiting


def test_a_reply_that_must_wait_for_its_customers_slot_goes_to_a_send_job(
    client, fake_tiktok, dramatiq_broker, settings
):
    settings.TIKTOK_SENDS_PER_SECOND = 2  # one send a second for one customer
    post_webhook(client, im_receive_msg_body("hi!", message_id="msg-1"))
    first = WebhookEvent.objects.get()
    handle_event.fn(first.pk, conversation_key(event=first))  # sent at once: the customer's slot is taken now
    customer_id = Message.objects.get(direction="outbound").customer_id
    for _ in range(3):  # and the next three seconds of it, by other sends to the same customer
        book_send(customer_id)
    post_webhook(client, im_receive_msg_body("still there?", message_id="msg-2"))
    second = WebhookEvent.objects.get(tiktok_message_id="msg-2")

    handle_event.fn(second.pk, conversation_key(event=second))

    assert len(fake_tiktok.sends) == 1  # the second reply waits for the customer's next slot, off the queue
    delayed = dramatiq_broker.client.hvals(f"{dramatiq_broker.namespace}:{send_message.queue_name}.DQ.msgs")
    jobs = [dramatiq.Message.decode(job) for job in delayed]
    assert [(job.actor_name, job.args[0]) for job in jobs] == [
        ("send_message", Message.objects.get(in_reply_to__tiktok_message_id="msg-2").pk)
    ]


def _statements(queries) -> list[str]:
    return [query["sql"] for query in queries.captured_queries]


def test_a_reply_that_may_go_now_is_written_in_sending_and_marked_sent_with_one_write(client, fake_tiktok, settings):
    """The job checks the outbox's rules with the customer row locked in the reply's own transaction and writes the
    reply straight into `sending`, its event marked done in the same statement: no second look at the row, no
    second transaction, one UPDATE after the call."""
    settings.TIKTOK_SENDS_PER_SECOND = 1_000_000
    post_webhook(client, im_receive_msg_body("hi!", message_id="msg-1"))
    event = WebhookEvent.objects.get()

    with CaptureQueriesContext(connection) as queries:
        handle_event.fn(event.pk, conversation_key(event=event))

    reply = Message.objects.get(direction="outbound")
    assert (reply.state, reply.attempts, len(fake_tiktok.sends)) == ("sent", 1, 1) and reply.tiktok_message_id
    statements = _statements(queries)
    locks = [sql for sql in statements if sql.startswith('SELECT "conversations_customer"') and "FOR NO KEY" in sql]
    assert len(locks) == 1  # queueing its reply (recording the DM locks the row by its upsert): none to send it
    inserted = next(sql for sql in statements if 'INSERT INTO "conversations_message"' in sql and "'outbound'" in sql)
    assert "'sending'" in inserted
    assert inserted.startswith('WITH along AS (UPDATE "tiktok_webhookevent"')  # its event done in the same statement
    after_insert = statements[statements.index(inserted) + 1 :]
    assert [sql.split(" SET ")[0] for sql in after_insert if sql.startswith("UPDATE")] == [
        'UPDATE "conversations_message"',  # sent
    ]
    assert WebhookEvent.objects.get().status == "done"


def test_a_reply_goes_after_the_customers_message_already_waiting_in_the_outbox(
    client, fake_tiktok, dramatiq_broker, settings
):
    """A notice queued before (a waitlist's turn, its send job not run yet) is ahead: the handling job does not jump
    it, and both go in the order they were queued."""
    settings.TIKTOK_SENDS_PER_SECOND = 1_000_000
    post_webhook(client, im_receive_msg_body("hi!", message_id="msg-1"))
    first = WebhookEvent.objects.get()
    handle_event.fn(first.pk, conversation_key(event=first))
    customer = Message.objects.get(direction="outbound").customer
    notice = queue_outbound_message(customer=customer, text="Good news: the jacket is yours to buy.", role="assistant")
    post_webhook(client, im_receive_msg_body("thanks!", message_id="msg-2"))
    second = WebhookEvent.objects.get(tiktok_message_id="msg-2")

    handle_event.fn(second.pk, conversation_key(event=second))  # sends the notice: the oldest waiting
    assert Message.objects.get(in_reply_to__tiktok_message_id="msg-2").state == "queued"
    jobs = [
        dramatiq.Message.decode(job) for job in dramatiq_broker.client.hvals(f"{dramatiq_broker.namespace}:outbox.msgs")
    ]
    assert [job.args[0] for job in jobs] == [notice.pk]
    send_message.fn(*jobs[0].args)  # the notice's own job sends the next: the reply

    reply = Message.objects.get(in_reply_to__tiktok_message_id="msg-2")
    assert Message.objects.get(pk=notice.pk).state == "sent" and reply.state == "sent"
    texts = [send["text"]["body"] for send in fake_tiktok.sends]
    assert texts[1:] == [notice.text, reply.text]


def test_a_reply_tiktok_did_not_take_goes_back_to_queued_for_a_send_job(client, fake_tiktok, dramatiq_broker, settings):
    settings.TIKTOK_SENDS_PER_SECOND = 1_000_000
    fake_tiktok.script(SEND_PATH, Reply(status=503))
    post_webhook(client, im_receive_msg_body("hi!", message_id="msg-1"))
    event = WebhookEvent.objects.get()

    handle_event.fn(event.pk, conversation_key(event=event))

    reply = Message.objects.get(direction="outbound")
    assert (reply.state, reply.attempts) == ("queued", 1) and not fake_tiktok.sends
    delayed = dramatiq_broker.client.hvals(f"{dramatiq_broker.namespace}:{send_message.queue_name}.DQ.msgs")
    assert [dramatiq.Message.decode(job).args[0] for job in delayed] == [reply.pk]
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.DONE


def test_a_reply_whose_slot_is_a_moment_away_waits_for_it_in_its_own_job(
    client, fake_tiktok, dramatiq_broker, settings
):
    settings.TIKTOK_SENDS_PER_SECOND = 5  # the shop's slots 200 ms apart
    booked_at = time.time()
    book_send("someone-else")  # the shop's slot now is taken: this reply's comes 200 ms later
    post_webhook(client, im_receive_msg_body("hi!", message_id="msg-1"))
    event = WebhookEvent.objects.get()

    handle_event.fn(event.pk, conversation_key(event=event))

    # It waited for its slot: TikTok got it no sooner than 200 ms after the slot before it was booked (however long
    # the webhook took on a loaded machine; measured from after the webhook, the wait could look shorter).
    (sent,) = [request for request in fake_tiktok.calls(SEND_PATH) if request.answered_code == 0]
    assert sent.at - booked_at >= 0.19
    reply = Message.objects.get(direction="outbound")
    assert (reply.state, reply.attempts, len(fake_tiktok.sends)) == ("sent", 1, 1)
    waiting = [
        dramatiq.Message.decode(job).actor_name
        for queue in dramatiq_broker.queues
        for job in dramatiq_broker.client.hvals(f"{dramatiq_broker.namespace}:{queue}.msgs")
    ]
    assert "send_message" not in waiting  # no second job


def test_a_reply_past_the_quota_after_a_first_message_is_blocked_not_sent(client, fake_tiktok, settings):
    """The job reads the quota with the customer row: a customer who wrote once and already got the
    TIKTOK_QUOTA_FIRST_MESSAGE messages since gets nothing more (blocked, with the reason), as the outbox decides."""
    settings.TIKTOK_SENDS_PER_SECOND = 1_000_000
    settings.TIKTOK_QUOTA_FIRST_MESSAGE = 1
    customer = make_customer(user_id_for("buyer_anna"), username="buyer_anna")
    Message.objects.create(  # the owner's app sent one after the DM was written
        customer=customer,
        role="staff",
        direction="outbound",
        state="sent",
        text="Welcome!",
        sent_at=timezone.now() + timedelta(seconds=5),
    )
    post_webhook(client, im_receive_msg_body("hi!", message_id="msg-1", user="buyer_anna"))
    event = WebhookEvent.objects.get()

    handle_event.fn(event.pk, conversation_key(event=event))

    reply = Message.objects.get(in_reply_to__tiktok_message_id="msg-1")
    assert (reply.state, reply.attempts) == ("blocked", 0) and "Quota" in reply.error
    assert not fake_tiktok.sends
