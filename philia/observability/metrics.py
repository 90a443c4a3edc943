"""`GET /metrics`: the shop's state in Prometheus' text format, read from the database and Redis at scrape time, so
every web process answers the same (no counters kept in memory) and a scrape shows what is stored, not what one
process saw. Answered only with `Authorization: Bearer <METRICS_TOKEN>` (404 when the token is unset, 401 when
another is given). docs/operations.md has the scrape config and the alert rules built on these:

    philia_webhook_events{source, state}            stored webhook events (tiktok, stripe) by state
    philia_oldest_waiting_event_seconds{source}     age of the oldest event not yet handled (0: none waiting)
    philia_outbound_messages{state}                 replies and other outbound messages by delivery state
    philia_notifications{state}                     the owner's notifications by state
    philia_items{status}                            items by status
    philia_holds_active                             items held with the hold still running
    philia_orders{status}                           orders by status
    philia_sweep_last_run_seconds{sweep}            seconds since each minute sweep last ran (as /health reads it)
    philia_queue_messages{queue}                    Dramatiq jobs in Redis, waiting or in hand, per queue and its
                                                    delay queue (`<queue>.DQ`: retries, timers)
    philia_queue_dead_messages{queue}               jobs out of retries, kept DRAMATIQ_DEAD_MESSAGE_DAYS
    philia_metrics_source_up{source}                1 when the database / Redis could be read for this scrape

Counts by state list every state of the model, 0 included, so an alert on one never sees it vanish.
"""

import hmac
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache

import dramatiq
from django.conf import settings
from django.db import connection
from django.db.models import Count, Min, QuerySet
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.registry import Collector, CollectorRegistry

from conversations.models import Message
from inventory.models import Item
from notifications.models import Notification
from orders.models import Order, StripeEvent
from philia.inbox import InboxEvent
from philia.jobs import redis_broker
from philia.sweeps import sweep_ages
from tiktok.models import WebhookEvent

logger = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4


# --- Who may scrape ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    status: int
    detail: str


def scrape_refusal(authorization: str) -> Refusal | None:
    """None when the `Authorization` header carries METRICS_TOKEN; else why not (404: no token is set, so there
    are no metrics to see; 401: another token, or none)."""
    token = settings.METRICS_TOKEN
    if not token:
        return Refusal(404, "Not Found")
    if not hmac.compare_digest(authorization.encode(), f"Bearer {token}".encode()):
        return Refusal(401, "Unauthorized: send Authorization: Bearer <METRICS_TOKEN>.")
    return None


def exposition() -> bytes:
    """Every metric, read now, in Prometheus' text format (CONTENT_TYPE)."""
    return generate_latest(_registry())


@cache
def _registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ShopCollector())
    return registry


class ShopCollector(Collector):
    """Reads every metric at each scrape. A source that does not answer (the database, Redis) leaves its metrics
    out of that scrape and says so in `philia_metrics_source_up`; the other's are still there."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "philia_metrics_source_up", "1 when the source could be read for this scrape, else 0.", labels=["source"]
        )
        for source, read in (("database", database_metrics), ("redis", redis_metrics)):
            try:
                metrics = list(read())
            except Exception:
                logger.warning("metrics not read", extra={"source": source}, exc_info=True)
                metrics = []
                up.add_metric([source], 0)
            else:
                up.add_metric([source], 1)
            yield from metrics
        yield up


# --- The database -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Inbox:
    """One source's stored webhook events, read the same way for every source."""

    source: str
    events: QuerySet
    state_field: str
    waiting_states: tuple[str, ...]
    received_field: str = "received_at"


# One small function per source, both on philia.inbox's states. Not yet handled: stored and waiting for a worker,
# or in a worker's hands.
WAITING = (InboxEvent.Status.RECEIVED, InboxEvent.Status.PROCESSING)


def tiktok_inbox() -> Inbox:
    return Inbox("tiktok", WebhookEvent.objects.all(), "status", WAITING)


def stripe_inbox() -> Inbox:
    return Inbox("stripe", StripeEvent.objects.all(), "status", WAITING)


INBOXES: tuple[Callable[[], Inbox], ...] = (tiktok_inbox, stripe_inbox)


def database_metrics() -> Iterator[Metric]:
    with planned_for_their_values():
        yield from _database_metrics(now=timezone.now())


@contextmanager
def planned_for_their_values() -> Iterator[None]:
    """Run the queries in the block unprepared, so PostgreSQL plans each for the values it is given. Prepared (the
    connection does it to a query run five times, DATABASE_PREPARED_STATEMENTS), the oldest waiting event is looked
    for with a generic plan that takes `status = $1` for a quarter of the table and walks the whole `received_at`
    index from the oldest event: 45 ms instead of 0.1 ms on 95,000 events."""
    connection.ensure_connection()
    database = connection.connection
    threshold = database.prepare_threshold
    database.prepare_threshold = None
    try:
        yield
    finally:
        database.prepare_threshold = threshold


def _database_metrics(*, now: datetime) -> Iterator[Metric]:
    events = GaugeMetricFamily("philia_webhook_events", "Stored webhook events by state.", labels=["source", "state"])
    oldest = GaugeMetricFamily(
        "philia_oldest_waiting_event_seconds",
        "Seconds the oldest stored webhook event not yet handled has waited (0: none waiting).",
        labels=["source"],
    )
    for inbox in (read() for read in INBOXES):
        for state, count in count_by(inbox.events, inbox.state_field).items():
            events.add_metric([inbox.source, state], count)
        oldest.add_metric([inbox.source], oldest_waiting_seconds(inbox, now=now))
    yield events
    yield oldest
    yield by_state(
        "philia_outbound_messages",
        "Outbound messages (replies, staff messages) by delivery state.",
        "state",
        # Inbound messages have no delivery state (""): counting only the outbound ones reads the state index alone.
        count_by(Message.objects.filter(state__in=Message.State.values), "state"),
    )
    yield by_state(
        "philia_notifications",
        "The owner's notifications by state.",
        "state",
        count_by(Notification.objects.all(), "state"),
    )
    yield by_state("philia_items", "Items by status.", "status", count_by(Item.objects.all(), "status"))
    holds = Item.objects.filter(status=Item.Status.RESERVED, held_until__gt=now).count()
    yield GaugeMetricFamily("philia_holds_active", "Items held, with the hold still running.", value=holds)
    yield by_state("philia_orders", "Orders by status.", "status", count_by(Order.objects.all(), "status"))


def count_by(queryset: QuerySet, field: str) -> dict[str, int]:
    """How many rows have each value of `field` (a field with choices): every choice, 0 included, then any value
    stored that is not one of them."""
    counts = dict.fromkeys((value for value, _ in queryset.model._meta.get_field(field).choices), 0)
    for value, count in queryset.order_by().values_list(field).annotate(count=Count("*")).values_list(field, "count"):
        counts[value] = count
    return counts


def oldest_waiting_seconds(inbox: Inbox, *, now: datetime) -> float:
    waiting = inbox.events.filter(**{f"{inbox.state_field}__in": inbox.waiting_states})
    oldest = waiting.aggregate(oldest=Min(inbox.received_field))["oldest"]
    return max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0


def by_state(name: str, documentation: str, label: str, counts: dict[str, int]) -> GaugeMetricFamily:
    metric = GaugeMetricFamily(name, documentation, labels=[label])
    for value, count in counts.items():
        metric.add_metric([value], count)
    return metric


# --- Redis ------------------------------------------------------------------------------------------


def redis_metrics() -> Iterator[Metric]:
    broker = redis_broker()
    names = queue_names()
    namespace = settings.DRAMATIQ_BROKER["OPTIONS"]["namespace"]
    pipeline = broker.client.pipeline(transaction=False)
    for name in names:
        # The Redis broker keeps each queue's jobs in a hash `<ns>:<queue>.msgs` from enqueue to acknowledgement
        # (the list `<ns>:<queue>` holds only those not yet fetched; a worker fetches delayed ones at once and
        # keeps them until due), and its dead-lettered ones in a sorted set `<ns>:<queue>.XQ`.
        pipeline.hlen(f"{namespace}:{name}.msgs")
        pipeline.hlen(f"{namespace}:{name}.DQ.msgs")
        pipeline.zcard(f"{namespace}:{name}.XQ")
    answers = iter(pipeline.execute())
    queued = GaugeMetricFamily(
        "philia_queue_messages",
        "Dramatiq jobs in Redis, waiting or being worked on, per queue (`<queue>.DQ`: its delayed jobs).",
        labels=["queue"],
    )
    dead = GaugeMetricFamily(
        "philia_queue_dead_messages", "Dramatiq jobs out of retries (dead-lettered), per queue.", labels=["queue"]
    )
    for name in names:
        queued.add_metric([name], next(answers))
        queued.add_metric([f"{name}.DQ"], next(answers))
        dead.add_metric([name], next(answers))
    yield queued
    yield dead
    sweeps = GaugeMetricFamily(
        "philia_sweep_last_run_seconds",
        "Seconds since each minute sweep last ran (or since it was first found never to have run).",
        labels=["sweep"],
    )
    for name, age in sweep_ages(now=time.time()).items():
        sweeps.add_metric([name], round(age, 3))
    yield sweeps


def queue_names() -> list[str]:
    """Every queue the shop's actors use (each process imports every app's tasks once, as the worker does)."""
    _import_actors()
    return sorted(dramatiq.get_broker().get_declared_queues())


@cache
def _import_actors() -> None:
    autodiscover_modules(*settings.DRAMATIQ_AUTODISCOVER_MODULES)
