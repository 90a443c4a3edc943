"""The whole channel with the real pieces: live HTTP endpoint, PostgreSQL, the Redis broker, a real
Dramatiq worker, and the fake TikTok API the real client sends to."""

import threading

import pytest
import requests

from conversations.models import Message
from testing.tiktok import conversation_id_for, im_receive_msg_body, sign
from tiktok.models import WebhookEvent

# transaction=True throughout: the live server's and the worker's threads must see committed rows.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("tiktok_settings")]


def _post(live_server, body: bytes) -> requests.Response:
    return requests.post(
        f"{live_server.url}/webhooks/tiktok",
        data=body,
        headers={"Content-Type": "application/json", "TikTok-Signature": sign(body)},
        timeout=10,
    )


def test_signed_dm_posted_to_the_live_endpoint_gets_exactly_one_reply_at_tiktok(
    live_server, fake_tiktok, dramatiq_worker
):
    body = im_receive_msg_body("hi! got any Nike jackets in L?", user="anna", message_id="e2e-1")

    response = _post(live_server, body)
    dramatiq_worker.drain()

    assert response.status_code == 200
    assert response.json() == {"status": "accepted"}
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.DONE
    [send] = fake_tiktok.sends
    assert send["recipient"] == conversation_id_for("anna")
    assert send["recipient_type"] == "CONVERSATION"
    reply = Message.objects.get(direction="outbound")
    assert (reply.role, reply.state, reply.in_reply_to.tiktok_message_id) == ("assistant", "sent", "e2e-1")
    assert send["text"]["body"] == reply.text
    assert reply.tiktok_message_id.startswith("fake-sent-")


def test_ten_simultaneous_deliveries_of_one_message_store_one_row_and_send_one_reply(
    live_server, fake_tiktok, dramatiq_worker
) -> None:
    body = im_receive_msg_body("is VNT-001 still available?", user="anna", message_id="dup-1")
    barrier = threading.Barrier(10, timeout=10)
    answers: list[str] = []

    def deliver() -> None:
        barrier.wait()
        answers.append(_post(live_server, body).json()["status"])

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    dramatiq_worker.drain()

    assert sorted(answers) == ["accepted"] + ["duplicate"] * 9
    assert WebhookEvent.objects.count() == 1
    assert Message.objects.filter(tiktok_message_id="dup-1").count() == 1
    [reply] = Message.objects.filter(direction="outbound")
    assert reply.in_reply_to is not None
    assert (reply.in_reply_to.tiktok_message_id, reply.state) == ("dup-1", "sent")
    assert [send["text"]["body"] for send in fake_tiktok.sends] == [reply.text]


def test_messages_of_one_conversation_are_handled_in_order_by_concurrent_workers(
    live_server, fake_tiktok, dramatiq_worker
):
    texts = [f"message {number}" for number in range(6)]
    for number, text in enumerate(texts):
        assert _post(live_server, im_receive_msg_body(text, user="anna", message_id=f"seq-{number}")).status_code == 200

    dramatiq_worker.drain()

    inbound = list(Message.objects.filter(direction="inbound").order_by("pk"))
    assert [message.text for message in inbound] == texts
    # Bubbles that waited together are answered as one turn, in reply to the last of them: the replies answer
    # messages in the order they came, the last one included, each turn once.
    replies = list(Message.objects.filter(role="assistant").order_by("pk").values_list("in_reply_to_id", flat=True))
    positions = [[message.pk for message in inbound].index(reply_to) for reply_to in replies]
    assert 1 <= len(replies) <= 6
    assert positions == sorted(set(positions)) and positions[-1] == 5
    assert len(fake_tiktok.sends) == len(replies)
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"done"}


def test_replies_go_out_while_a_backlog_of_messages_is_still_being_handled(live_server, fake_tiktok, dramatiq_broker):
    """A burst (a drop) queues many customers' messages at once. Each reply is sent as soon as its message is
    handled, ahead of the messages still waiting, not after the whole backlog: with one worker thread, the
    first customer is answered before the last customer's message is handled."""
    import dramatiq

    customers = [f"fan{number}" for number in range(8)]
    for number, user in enumerate(customers):
        body = im_receive_msg_body("hi! got any Nike jackets in L?", user=user, message_id=f"burst-{number}")
        assert _post(live_server, body).status_code == 200
    worker = dramatiq.Worker(
        dramatiq_broker,
        queues={name.split(".")[0] for name in dramatiq_broker.queues},
        worker_threads=1,
        worker_timeout=100,
    )
    worker.start()
    try:
        from philia.queues import join_due_work

        for _ in range(2):
            join_due_work(dramatiq_broker, worker, timeout_ms=30_000)
    finally:
        worker.stop()

    first_reply = Message.objects.get(direction="outbound", in_reply_to__tiktok_message_id="burst-0")
    last_handled = WebhookEvent.objects.get(tiktok_message_id="burst-7")
    assert first_reply.state == "sent"
    assert len(fake_tiktok.sends) == len(customers)
    assert first_reply.sent_at < last_handled.processed_at
