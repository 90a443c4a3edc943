"""Nothing TikTok delivers is lost: a broker outage still answers 200 and the sweep catches up; a
database outage answers 503 so that TikTok retries."""

from datetime import timedelta

import pytest
from django.db import connection
from dramatiq.brokers.redis import RedisBroker

from assistant.tasks import handle_event
from conversations.models import Message
from philia.inbox import requeue_stale_events
from testing.tiktok import im_receive_msg_body, post_webhook
from tiktok.models import WebhookEvent

# transaction=True: on_commit enqueueing must really run, and the worker threads must see the rows.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("tiktok_settings")]


def test_broker_down_at_intake_still_answers_200_and_the_sweep_delivers_later(
    client, monkeypatch, fake_tiktok, dramatiq_worker
):
    # A Redis that is not there (port 1): enqueueing raises a connection error.
    unreachable = RedisBroker(url="redis://127.0.0.1:1/0", middleware=[], socket_connect_timeout=0.2)
    monkeypatch.setattr(handle_event, "broker", unreachable)

    response = post_webhook(client, im_receive_msg_body("still there?", user="anna", message_id="lost-1"))

    assert response.status_code == 200
    assert response.json() == {"status": "accepted"}
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.RECEIVED

    monkeypatch.undo()
    requeued = requeue_stale_events(older_than=timedelta(0))
    dramatiq_worker.drain()

    assert requeued == 1
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.DONE
    assert event.requeued_at is not None
    assert Message.objects.filter(direction="outbound", state="sent").count() == 1
    assert len(fake_tiktok.sends) == 1


def test_sweep_leaves_fresh_and_finished_events_alone(client, dramatiq_broker):
    post_webhook(client, im_receive_msg_body("fresh", user="anna", message_id="fresh-1"))
    dramatiq_broker.flush_all()

    assert requeue_stale_events(older_than=timedelta(seconds=90)) == 0
    assert requeue_stale_events(older_than=timedelta(0)) == 1
    # Just re-enqueued: the next sweep gives that job time before enqueueing another.
    assert requeue_stale_events(older_than=timedelta(seconds=90)) == 0


def test_database_down_answers_503_so_tiktok_retries(client):
    body = im_receive_msg_body("hello", user="anna", message_id="db-down-1")
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = "1"  # nothing listens there: every query fails to connect
    try:
        response = post_webhook(client, body)
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port

    assert response.status_code == 503
    assert response.json() == {"detail": "Database unavailable; retry later."}
    assert post_webhook(client, body).json() == {"status": "accepted"}
