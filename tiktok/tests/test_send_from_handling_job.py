"""A DM costs one job: the handling job sends its reply itself once the conversation is free, when the customer's
share of the sends and the shop's rate allow; a reply that must wait goes to a send job with the delay it needs.

transaction=True: the reply is sent once its row is committed, as in the worker."""

import dramatiq
import pytest

from assistant.tasks import handle_event
from conversations.models import Message
from conversations.tasks import send_message
from testing.tiktok import im_receive_msg_body, post_webhook
from tiktok.limits import book_send
from tiktok.models import WebhookEvent
from tiktok.services import conversation_key

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
