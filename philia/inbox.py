"""The inbox: what the outside world delivers (TikTok's webhook, Stripe's), stored before the 200 and handled by a
worker, with one life for every kind of delivery.

    received ──claim──► processing ──finish──► done        (`outcome` says what was done, or why nothing)
        ▲                   └──────fail──────► failed      (`last_error`; `next_attempt_at`, or none: gave up)
        └──── reopen: the sweep when a failed one's next try is due, Retry in the admin, a redelivery ────┘

- A kind of delivery is a concrete model on `InboxEvent` naming its actor (which takes the event's id), the label
  the owner knows it by and the setting that says when it is stale. `inbox_models()` lists them: nothing to register.
- `claim` moves events to processing and counts the try in one conditional UPDATE … RETURNING, so two workers
  never both get one; `finish` and `fail` are one UPDATE each.
- A failed try is tried again INBOX_RETRY_SECONDS × 2^(tries − 1) after it began, by the sweep, until
  INBOX_MAX_ATTEMPTS tries; then (or at once for an error retrying cannot help) it gave up and the owner is told.
- `requeue_stale_events` is the one sweep over every kind (`philia.tasks`, every minute).

A foundation below the apps: it imports none of them, except the owner's notification when an event gave up.
"""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, partial
from typing import Any, ClassVar, Literal, Protocol, TypeVar

from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from philia import jobs
from philia.db import Along, CompiledSQL, Reading, column_of, run_along, update_along

logger = logging.getLogger(__name__)

ERROR_CHARS = 2000


class InboxEvent(models.Model):
    """One delivery, stored once. Concrete models set the three `inbox_*` class attributes."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSING = "processing", "Processing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED, db_index=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    attempts = models.PositiveSmallIntegerField("tries", default=0, help_text="Each time a worker took it up.")
    started_at = models.DateTimeField("latest try began", null=True, blank=True)
    processed_at = models.DateTimeField("done at", null=True, blank=True)
    outcome = models.CharField(max_length=300, blank=True, help_text="What handling it did, or why nothing.")
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(
        "next try",
        null=True,
        blank=True,
        help_text="When the sweep tries a failed event again; empty on a failed event: it gave up (Retry is yours).",
    )
    requeued_at = models.DateTimeField(
        null=True, blank=True, help_text="When the sweep last sent it to a worker again."
    )

    # How the owner names where it came from ("Stripe"); the Dramatiq actor that handles one, given its id; the
    # setting with the seconds after which an event still received or processing has lost its job.
    inbox_label: ClassVar[str] = ""
    inbox_actor: ClassVar[str] = ""
    inbox_stale_setting: ClassVar[str] = ""

    class Meta:
        abstract = True


Event = TypeVar("Event", bound=InboxEvent)
Status = InboxEvent.Status


def inbox_models() -> list[type[InboxEvent]]:
    """Every kind of delivery: the installed concrete models on InboxEvent, in INSTALLED_APPS order."""
    return [model for model in apps.get_models() if issubclass(model, InboxEvent)]


def not_finished() -> Q:
    """Events still to be handled: received, processing, or failed with a next try to come."""
    return Q(status__in=[Status.RECEIVED, Status.PROCESSING]) | Q(status=Status.FAILED, next_attempt_at__isnull=False)


# --- Intake ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    event_id: int | None  # None for a duplicate
    outcome: Literal["new", "reopened", "duplicate"]


def record(model: type[InboxEvent], *, unique: str, **values: Any) -> Recorded:
    """Store a delivery once by its `unique` column; a repeat of one that failed reopens it (received again).

    One statement, atomic on its own: INSERT … ON CONFLICT (unique) DO UPDATE … WHERE failed RETURNING. A new row
    comes back with no tries; a reopened one with its tries; any other repeat (waiting, being handled or done)
    comes back empty and changes nothing, even when ten arrive at once. Raises nothing for a repeat, so an
    enclosing transaction stays usable. Columns not in `values` get their field's default.
    """
    quote = connection.ops.quote_name
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    values = {"received_at": timezone.now(), **values}
    row = [field.get_db_prep_save(values.get(field.name, field.get_default()), connection) for field in fields]
    table = quote(model._meta.db_table)
    reopen = ", ".join(
        f"{quote(column)} = %s" for column in ("status", "next_attempt_at", "last_error", "processed_at")
    )
    sql = (
        f"INSERT INTO {table} ({', '.join(quote(column_of(model, field.name)) for field in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        f"ON CONFLICT ({quote(column_of(model, unique))}) DO UPDATE SET {reopen} "
        f"WHERE {table}.{quote('status')} = %s RETURNING {quote('id')}, {quote('attempts')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*row, Status.RECEIVED, None, "", None, Status.FAILED])
        found = cursor.fetchone()
    if found is None:
        return Recorded(None, "duplicate")
    event_id, attempts = found
    if attempts:
        logger.warning("inbox event delivered again after failing: reopened", extra=_about(model, event_id))
        return Recorded(event_id, "reopened")
    return Recorded(event_id, "new")


class Circuit(Protocol):
    """What `enqueue` asks of a circuit breaker (tiktok.circuit.BrokerCircuit)."""

    def is_open(self) -> bool: ...
    def failed(self) -> None: ...
    def succeeded(self) -> None: ...


def enqueue(
    model: type[InboxEvent], *, event_id: int, args: Iterable[Any] = (), circuit: Circuit | None = None
) -> None:
    """Send the event to its kind's actor. A broker outage is logged, not raised: the event is stored, and the
    sweep sends it again. With a `circuit` (the TikTok webhook's), the broker is not even tried while it is open."""
    if circuit is not None and circuit.is_open():
        logger.warning("inbox event not enqueued (broker circuit open); the sweep will", extra=_about(model, event_id))
        return
    try:
        jobs.actor(model.inbox_actor).send(event_id, *args)
    except Exception:
        if circuit is not None:
            circuit.failed()
        logger.exception("inbox event not enqueued; the sweep will", extra=_about(model, event_id))
    else:
        if circuit is not None:
            circuit.succeeded()


# --- A worker's try -------------------------------------------------------------------------------------------


def claim(
    queryset: "QuerySet[Event] | CompiledSQL[Event]", *, processing_since_before: datetime | None = None
) -> list[Event]:
    """Take up the events of `queryset` that are received — and those processing since before
    `processing_since_before`, whose worker is known to be gone — counting a try: received → processing.
    (`queryset` may be a CompiledQuery's run selecting the events' ids: a worker's hot path.)

    One UPDATE … RETURNING, atomic on its own. The state is checked again on each row it changes, so of two workers
    claiming one event only one gets it. Returns the claimed events as updated, in id order.
    """
    model = queryset.model
    quote = connection.ops.quote_name
    ids_sql, ids_params = _ids(queryset)
    fields = model._meta.concrete_fields
    claimable = f"{quote('status')} = %s"
    claimable_params: list[Any] = [Status.RECEIVED]
    if processing_since_before is not None:
        claimable += f" OR ({quote('status')} = %s AND {quote('started_at')} < %s)"
        claimable_params += [Status.PROCESSING, processing_since_before]
    sql = (
        f"UPDATE {quote(model._meta.db_table)} SET {quote('status')} = %s, {quote('started_at')} = %s, "
        f"{quote('attempts')} = {quote('attempts')} + 1 "
        f"WHERE {quote('id')} IN ({ids_sql}) AND ({claimable}) "
        f"RETURNING {', '.join(quote(column_of(model, field.name)) for field in fields)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [Status.PROCESSING, timezone.now(), *ids_params, *claimable_params])
        rows = cursor.fetchall()
    reading = _reading(model)
    return sorted((reading.instance(row) for row in rows), key=lambda event: event.pk)


@cache
def _reading(model: type[Event]) -> Reading[Event]:
    """How `claim` makes events of the rows its RETURNING gives (every column, in the model's order)."""
    return Reading.of(model, [str(field.column) for field in model._meta.concrete_fields])


def _ids(events: "QuerySet[Event] | CompiledSQL[Event]") -> tuple[str, Sequence[Any]]:
    """The SQL selecting the events' ids, and its parameters."""
    if isinstance(events, CompiledSQL):
        return events.text, events.params
    return events.order_by().values("pk").query.sql_with_params()


def finish(event: InboxEvent, *, outcome: str = "", **fields: Any) -> None:
    """processing → done, saying what was done (or why nothing). One UPDATE; `fields` are the kind's own."""
    finish_all(type(event)._default_manager.filter(pk=event.pk), outcome=outcome, **fields)


def finish_all(events: "QuerySet[Event] | CompiledSQL[Event]", *, outcome: str = "", **fields: Any) -> int:
    """`finish` for every event of `events` (or of a CompiledQuery's run selecting their ids), in one UPDATE; returns
    how many."""
    return run_along(finishing(events, outcome=outcome, **fields))


def finishing(events: "QuerySet[Event] | CompiledSQL[Event]", *, outcome: str = "", **fields: Any) -> Along:
    """`finish_all`'s UPDATE, not run yet: to run on its own (`philia.db.run_along`) or in the statement of another
    write of the same transaction (`philia.db.insert_row(along=…)`)."""
    done = {
        "status": Status.DONE,
        "processed_at": timezone.now(),
        "outcome": outcome[:300],
        "last_error": "",
        "next_attempt_at": None,
        **fields,
    }
    ids_sql, ids_params = _ids(events)
    where = f"{connection.ops.quote_name('id')} IN ({ids_sql})"
    return update_along(events.model, done, where=where, params=ids_params)


@dataclass(frozen=True)
class Failure:
    attempts: int
    next_attempt_at: datetime | None  # None: gave up

    @property
    def gave_up(self) -> bool:
        return self.next_attempt_at is None


def fail(event: InboxEvent, *, error: BaseException, retry: bool = True) -> Failure:
    """processing → failed, keeping the error; call it from the `except` block (the traceback is logged).

    The next try is INBOX_RETRY_SECONDS × 2^(tries − 1) after this one began. After INBOX_MAX_ATTEMPTS tries, or
    at once when `retry` is False (retrying cannot help), there is none: it gave up, and the owner is told."""
    failure = _failure(event, retry=retry)
    type(event)._default_manager.filter(pk=event.pk).update(
        status=Status.FAILED,
        last_error=f"{type(error).__name__}: {error}"[:ERROR_CHARS],
        next_attempt_at=failure.next_attempt_at,
    )
    logger.exception(
        "inbox event failed",
        extra={**_about(type(event), event.pk), "attempts": failure.attempts, "gave_up": failure.gave_up},
    )
    if failure.gave_up:
        _tell_owner(type(event), event_id=event.pk)
    return failure


def _failure(event: InboxEvent, *, retry: bool) -> Failure:
    if not retry or event.attempts >= settings.INBOX_MAX_ATTEMPTS:
        return Failure(event.attempts, None)
    wait = timedelta(seconds=settings.INBOX_RETRY_SECONDS * 2 ** (event.attempts - 1))
    return Failure(event.attempts, (event.started_at or timezone.now()) + wait)


def _tell_owner(model: type[InboxEvent], *, event_id: int) -> None:
    """One notification per give-up, linking the event's admin page (its error is there, and Retry)."""
    from notifications.services import notify_event_failed

    event = model._default_manager.get(pk=event_id)
    notify_event_failed(
        cause=f"event_failed:{model._meta.label_lower}:{event.pk}:{event.attempts}",
        event=f"{model.inbox_label} event {event}",
        attempts=event.attempts,
        error=event.last_error,
        path=reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[event.pk]),
    )


# --- Again: the owner's Retry, a redelivery, the sweep ----------------------------------------------------


def reopen(queryset: QuerySet[InboxEvent]) -> list[int]:
    """Put these events back to received (their error and next try cleared) and send each to its actor once
    committed. Safe on any event: handling is idempotent, so only what is missing gets done. Returns their ids."""
    model = queryset.model
    with transaction.atomic():
        ids = list(queryset.order_by("pk").values_list("pk", flat=True))
        model._default_manager.filter(pk__in=ids).update(
            status=Status.RECEIVED, last_error="", next_attempt_at=None, processed_at=None
        )
        for event_id in ids:
            transaction.on_commit(partial(enqueue, model, event_id=event_id))
    if ids:
        logger.info("inbox events reopened", extra={"inbox": model._meta.label, "count": len(ids)})
    return ids


def requeue_stale_events(*, older_than: timedelta | None = None, now: datetime | None = None, limit: int = 500) -> int:
    """The sweep, over every kind of delivery (run every minute; safe any time: the actors claim before acting).

    - received or processing for longer than the kind's stale setting (or `older_than`): its job was lost (Redis was
      away at intake, a worker died): sent again, at most once per that period;
    - processing that long after INBOX_MAX_ATTEMPTS tries: failed, given up (each try stopped its worker);
    - failed whose next try is due: reopened and sent.
    Returns how many were sent."""
    now = now or timezone.now()
    sent = 0
    for model in inbox_models():
        stale = (
            older_than if older_than is not None else timedelta(seconds=getattr(settings, model.inbox_stale_setting))
        )
        sent += _sweep(model, cutoff=now - stale, now=now, limit=limit)
    return sent


def _sweep(model: type[InboxEvent], *, cutoff: datetime, now: datetime, limit: int) -> int:
    stopped = model._default_manager.filter(
        status=Status.PROCESSING, started_at__lt=cutoff, attempts__gte=settings.INBOX_MAX_ATTEMPTS
    )
    for event in stopped.order_by("pk")[:limit]:
        _give_up_stopped(event)
    lost = Q(status=Status.RECEIVED, received_at__lt=cutoff) | Q(status=Status.PROCESSING, started_at__lt=cutoff)
    not_just_sent = Q(requeued_at__isnull=True) | Q(requeued_at__lt=cutoff)
    due = Q(status=Status.FAILED, next_attempt_at__lte=now)
    ids = list(
        model._default_manager.filter((lost & not_just_sent) | due).order_by("pk").values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return 0
    with transaction.atomic():
        model._default_manager.filter(pk__in=ids, status=Status.FAILED, next_attempt_at__lte=now).update(
            status=Status.RECEIVED, next_attempt_at=None
        )
        model._default_manager.filter(pk__in=ids).update(requeued_at=now)
        for event_id in ids:
            transaction.on_commit(partial(enqueue, model, event_id=event_id))
    logger.warning("inbox events sent again", extra={"inbox": model._meta.label, "count": len(ids), "first": ids[0]})
    return len(ids)


def _give_up_stopped(event: InboxEvent) -> None:
    updated = (
        type(event)
        ._default_manager.filter(pk=event.pk, status=Status.PROCESSING, started_at=event.started_at)
        .update(
            status=Status.FAILED,
            next_attempt_at=None,
            last_error=f"Stopped while being handled, {event.attempts} times (its worker died or ran out of time).",
        )
    )
    if updated:
        logger.error("inbox event gave up: its tries kept stopping", extra=_about(type(event), event.pk))
        _tell_owner(type(event), event_id=event.pk)


def _about(model: type[InboxEvent], event_id: int) -> dict[str, Any]:
    return {"inbox": model._meta.label, "event_id": event_id}
