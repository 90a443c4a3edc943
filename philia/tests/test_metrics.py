"""GET /metrics: Prometheus' text format, read with prometheus_client's own parser, for METRICS_TOKEN's holder only;
every figure read from the database and Redis at scrape time."""

import time
from datetime import timedelta

import pytest
import redis
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from conversations.models import Message
from notifications.models import Notification
from orders.models import Order, StripeEvent
from orders.tasks import expire_order_job
from philia.sweeps import MINUTE_SWEEPS, _key, record_sweep
from philia.tests.factories import make_customer, make_item
from tiktok.models import WebhookEvent

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-for-tests"

# What the issue promises an operator can alert on (docs/operations.md).
PROMISED_METRICS = {
    "philia_webhook_events",
    "philia_oldest_waiting_event_seconds",
    "philia_outbound_messages",
    "philia_notifications",
    "philia_items",
    "philia_holds_active",
    "philia_orders",
    "philia_sweep_last_run_seconds",
    "philia_queue_messages",
}


@pytest.fixture
def metrics_settings(settings):
    settings.METRICS_TOKEN = TOKEN
    return settings


@pytest.fixture
def heartbeats(dramatiq_broker):
    client = dramatiq_broker.client
    keys = [_key(name) for name in MINUTE_SWEEPS] + [_key(f"{name}:missing-since") for name in MINUTE_SWEEPS]
    client.delete(*keys)
    yield client
    client.delete(*keys)


def scrape(client) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """The metrics, parsed: {name: {labels as sorted pairs: value}}."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    return {
        family.name: {tuple(sorted(sample.labels.items())): sample.value for sample in family.samples}
        for family in text_string_to_metric_families(response.content.decode())
    }


def webhook_event(number: int, status: str, *, received_ago: timedelta = timedelta(0)) -> WebhookEvent:
    return WebhookEvent.objects.create(
        event="im_receive_msg",
        tiktok_message_id=f"msg-{number}",
        dedupe_key=f"msg-{number}",
        raw_body="{}",
        status=status,
        received_at=timezone.now() - received_ago,
    )


def test_metrics_are_not_found_while_no_token_is_set(client, settings):
    settings.METRICS_TOKEN = ""

    response = client.get("/metrics", headers={"Authorization": "Bearer anything"})

    assert response.status_code == 404


@pytest.mark.parametrize("authorization", [None, f"Bearer {TOKEN}x", TOKEN, f"Basic {TOKEN}", "Bearer "])
def test_a_scrape_without_the_token_is_refused(client, metrics_settings, authorization):
    headers = {"Authorization": authorization} if authorization is not None else {}

    response = client.get("/metrics", headers=headers)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json() == {"detail": "Unauthorized: send Authorization: Bearer <METRICS_TOKEN>."}


def test_every_promised_metric_is_there_on_an_empty_shop(client, metrics_settings, heartbeats):
    metrics = scrape(client)

    assert PROMISED_METRICS <= metrics.keys()
    assert metrics["philia_webhook_events"] == {
        ((("source", source), ("state", state))): 0
        for source in ("tiktok", "stripe")
        for state in ("received", "processing", "done", "failed")
    }
    assert metrics["philia_oldest_waiting_event_seconds"] == {(("source", "tiktok"),): 0, (("source", "stripe"),): 0}
    assert metrics["philia_metrics_source_up"] == {(("source", "database"),): 1, (("source", "redis"),): 1}


def test_webhook_events_are_counted_by_source_and_state_with_the_oldest_waiting(client, metrics_settings):
    webhook_event(1, "received", received_ago=timedelta(seconds=90))
    webhook_event(2, "received", received_ago=timedelta(seconds=5))
    webhook_event(3, "done", received_ago=timedelta(hours=3))
    webhook_event(4, "failed")
    webhook_event(5, "processing", received_ago=timedelta(seconds=30))
    StripeEvent.objects.create(event_id="evt_1", event_type="checkout.session.completed", payload={}, status="done")

    metrics = scrape(client)

    assert metrics["philia_webhook_events"][(("source", "tiktok"), ("state", "received"))] == 2
    assert metrics["philia_webhook_events"][(("source", "tiktok"), ("state", "done"))] == 1
    assert metrics["philia_webhook_events"][(("source", "tiktok"), ("state", "processing"))] == 1
    assert metrics["philia_webhook_events"][(("source", "tiktok"), ("state", "failed"))] == 1
    assert metrics["philia_webhook_events"][(("source", "stripe"), ("state", "done"))] == 1
    assert metrics["philia_webhook_events"][(("source", "stripe"), ("state", "received"))] == 0
    assert 90 <= metrics["philia_oldest_waiting_event_seconds"][(("source", "tiktok"),)] < 100
    assert metrics["philia_oldest_waiting_event_seconds"][(("source", "stripe"),)] == 0


def test_messages_notifications_items_holds_and_orders_are_counted(client, metrics_settings):
    anna = make_customer("anna")
    for state in ("sent", "sent", "failed", "queued"):
        Message.objects.create(customer=anna, role="assistant", direction="outbound", state=state, text="hi")
    Message.objects.create(customer=anna, role="user", direction="inbound", state="", text="got any nike?")
    Notification.objects.create(kind="handoff", cause="handoff:anna", text="anna asked", path="/admin/", state="sent")
    make_item("VNT-A-001")
    make_item("VNT-A-002", held_by=anna, held_until=timezone.now() + timedelta(hours=2))
    make_item("VNT-A-003", status="sold")
    Order.objects.create(customer=anna, status="paid")
    Order.objects.create(customer=anna, status="pending")

    metrics = scrape(client)

    assert metrics["philia_outbound_messages"] == {
        (("state", "queued"),): 1,
        (("state", "sending"),): 0,
        (("state", "sent"),): 2,
        (("state", "failed"),): 1,
        (("state", "blocked"),): 0,
        (("state", "dry_run"),): 0,
    }
    assert metrics["philia_notifications"][(("state", "sent"),)] == 1
    assert metrics["philia_notifications"][(("state", "failed"),)] == 0
    assert metrics["philia_items"] == {
        (("status", "available"),): 1,
        (("status", "reserved"),): 1,
        (("status", "sold"),): 1,
        (("status", "hidden"),): 0,
    }
    assert metrics["philia_holds_active"] == {(): 1}
    assert metrics["philia_orders"] == {
        (("status", "pending"),): 1,
        (("status", "paid"),): 1,
        (("status", "shipped"),): 0,
        (("status", "cancelled"),): 0,
    }


def test_a_hold_that_ran_out_is_not_active(client, metrics_settings):
    make_item("VNT-A-001", held_by=make_customer("anna"), held_until=timezone.now() - timedelta(minutes=1))

    metrics = scrape(client)

    assert metrics["philia_items"][(("status", "reserved"),)] == 1
    assert metrics["philia_holds_active"] == {(): 0}


def test_jobs_in_redis_are_counted_per_queue_and_delay_queue(client, metrics_settings, dramatiq_broker, heartbeats):
    # No worker runs: the jobs stay in Redis as they would behind a stopped worker.
    expire_order_job.send(101)
    expire_order_job.send(102)
    expire_order_job.send_with_options(args=(103,), delay=3_600_000)

    metrics = scrape(client)

    queues = metrics["philia_queue_messages"]
    assert queues[(("queue", "order_deadlines"),)] == 2
    assert queues[(("queue", "order_deadlines.DQ"),)] == 1
    assert {"default", "default.DQ", "outbox", "outbox.DQ", "timers", "timers.DQ"} <= {
        dict(labels)["queue"] for labels in queues
    }
    assert sum(queues.values()) == 3
    assert set(metrics["philia_queue_dead_messages"].values()) == {0}


def test_sweeps_show_the_seconds_since_they_last_ran(client, metrics_settings, heartbeats):
    record_sweep("requeue_stale_outbox_job")
    heartbeats.set(_key("requeue_stale_events_job"), f"{time.time() - 400:.3f}")

    sweeps = scrape(client)["philia_sweep_last_run_seconds"]

    assert sweeps[(("sweep", "requeue_stale_outbox_job"),)] < 5
    assert 400 <= sweeps[(("sweep", "requeue_stale_events_job"),)] < 410


def test_a_redis_that_does_not_answer_leaves_the_database_metrics(
    client, metrics_settings, dramatiq_broker, monkeypatch
):
    # A real client to a port nothing listens on: what the web process sees while Redis is down.
    monkeypatch.setattr(
        dramatiq_broker, "client", redis.Redis.from_url("redis://127.0.0.1:1/0?socket_connect_timeout=0.2")
    )
    webhook_event(1, "received")

    metrics = scrape(client)

    assert metrics["philia_metrics_source_up"] == {(("source", "database"),): 1, (("source", "redis"),): 0}
    assert metrics["philia_webhook_events"][(("source", "tiktok"), ("state", "received"))] == 1
    assert "philia_queue_messages" not in metrics
