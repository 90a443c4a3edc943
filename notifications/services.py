"""Telling the owner: notifications are recorded in the transaction of their cause and delivered after commit.

    notify_owner(kind=..., cause="order_placed:12", text=..., path=...)   # inside the cause's transaction
    deliver_notifications(notification_id=...)                           # the worker (notifications.tasks)

This app sits at the bottom of the import order (it imports no other domain app): conversations' outbox,
orders and the assistant call into it with plain values, and the admin page a notification links to is the one
its app registered for its kind (`notifications.pages`).
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import requests
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django_dramatiq.apps import DjangoDramatiqConfig
from dramatiq.rate_limits import ConcurrentRateLimiter

from notifications.models import Notification
from notifications.pages import page_of
from philia import jobs

logger = logging.getLogger(__name__)

# A delivery holds its kind's mutex at most this long (the actor's time limit is shorter).
KIND_MUTEX_TTL_MS = 60_000
# Rows of one kind sent together at most (a burst larger than this goes out in several digests).
BATCH_SIZE = 50


class NotificationNotDelivered(Exception):
    """Email or push failed this time; the rows are back to pending and the job is retried with backoff."""


@dataclass(frozen=True)
class Later:
    """Not sent yet: the kind's digest window (or its mutex) is busy; try again in `seconds`."""

    seconds: float


def notify_owner(*, kind: str, cause: str, text: str, path: str) -> Notification:
    """Record a notification for the owner, once per `cause`, in the caller's transaction (a savepoint, so a
    repeated cause never breaks it); it is delivered once that transaction commits. Returns the row, new or not."""
    with transaction.atomic():
        notification, created = Notification.objects.get_or_create(
            cause=cause[:200], defaults={"kind": kind, "text": text, "path": path}
        )
    if created:
        jobs.enqueue_on_commit("send_notification", notification.pk, unless_sent="it stays pending in the admin")
        logger.info("owner notification recorded", extra={"notification": notification.pk, "cause": cause})
    return notification


def notify_handoff(*, customer_id: str, customer_name: str, requested_at: datetime) -> Notification:
    """A customer asked for a person: one notification per hand-off (per first request until it is handled)."""
    return notify_owner(
        kind=Notification.Kind.HANDOFF,
        cause=f"handoff:{customer_id}:{requested_at.isoformat()}",
        text=f"{customer_name} asked for a person.",
        path=page_of(Notification.Kind.HANDOFF, customer_id),
    )


def notify_order_placed(*, order_id: int, customer_name: str, total: Decimal) -> Notification:
    return notify_owner(
        kind=Notification.Kind.ORDER_PLACED,
        cause=f"order_placed:{order_id}",
        text=f"{customer_name} placed order #{order_id} (${total}).",
        path=page_of(Notification.Kind.ORDER_PLACED, order_id),
    )


def notify_customer_says_paid(*, order_id: int, customer_name: str) -> Notification:
    """For the payments work: a customer says they paid order `order_id` (one notification per order)."""
    return notify_owner(
        kind=Notification.Kind.CUSTOMER_SAYS_PAID,
        cause=f"customer_says_paid:{order_id}",
        text=f"{customer_name} says they paid order #{order_id}: check and mark it paid.",
        path=page_of(Notification.Kind.CUSTOMER_SAYS_PAID, order_id),
    )


def notify_send_failed(
    *, message_id: int, customer_id: str, customer_name: str, state: str, reason: str
) -> Notification:
    """A message to a customer failed or was blocked: one notification per message."""
    return notify_owner(
        kind=Notification.Kind.SEND_FAILED,
        cause=f"message:{message_id}",
        text=f"A message to {customer_name} was not sent ({state}): {reason}"[:1000],
        path=page_of(Notification.Kind.SEND_FAILED, customer_id),
    )


def notify_event_failed(*, cause: str, event: str, attempts: int, error: str, path: str) -> Notification:
    """A delivery from outside (a Stripe or TikTok event) gave up: no more automatic tries (`philia.inbox`). One
    notification per `cause` (the inbox makes one per give-up); `path` is the event's admin page."""
    tries = "1 try" if attempts == 1 else f"{attempts} tries"
    return notify_owner(
        kind=Notification.Kind.EVENT_FAILED,
        cause=cause,
        text=f"{event} was not handled after {tries}: {error[:800].rstrip('.')}. "
        "Retry it from its page once the cause is fixed.",
        path=path,
    )


def absolute_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _kind_mutex(kind: str) -> ConcurrentRateLimiter:
    namespace = settings.DRAMATIQ_BROKER.get("OPTIONS", {}).get("namespace", "philia")
    return ConcurrentRateLimiter(
        DjangoDramatiqConfig.get_rate_limiter_backend(),
        f"{namespace}:owner-notify:{kind}",
        limit=1,
        ttl=KIND_MUTEX_TTL_MS,
    )


def seconds_until_digest_allows(*, kind: str, now: datetime | None = None) -> float:
    """How long until the next delivery of `kind` may go: OWNER_NOTIFY_DIGEST_SECONDS after the last one."""
    window = settings.OWNER_NOTIFY_DIGEST_SECONDS
    if window <= 0:
        return 0.0
    last = Notification.objects.filter(kind=kind, sent_at__isnull=False).aggregate(last=Max("sent_at"))["last"]
    if last is None:
        return 0.0
    return max(0.0, (last + timedelta(seconds=window) - (now or timezone.now())).total_seconds())


def deliver_notifications(*, notification_id: int) -> Later | list[Notification]:
    """Deliver this notification together with every other pending one of its kind (a digest), at most one
    delivery per kind per OWNER_NOTIFY_DIGEST_SECONDS.

    One worker per kind at a time (a Redis mutex). The rows move to `sending` (committed) before any email or
    push, and each channel's success is recorded on the rows as soon as it happens: a retry after a failed push
    never emails again, and a row left in `sending` by a dead worker is never sent again. Returns the rows
    delivered (empty when there was nothing left to do), or `Later` when the digest window is still open.
    Raises `NotificationNotDelivered` when a channel failed (the rows are pending again).
    """
    kind = Notification.objects.filter(pk=notification_id).values_list("kind", flat=True).first()
    if kind is None:
        return []
    with _kind_mutex(kind).acquire(raise_on_failure=False) as acquired:
        if not acquired:
            return Later(seconds=1.0)
        wait = seconds_until_digest_allows(kind=kind)
        if wait > 0:
            if not Notification.objects.filter(kind=kind, state=Notification.State.PENDING).exists():
                return []
            return Later(seconds=wait)
        with transaction.atomic():
            rows = list(
                Notification.objects.select_for_update(skip_locked=True)
                .filter(kind=kind, state=Notification.State.PENDING)
                .order_by("pk")[:BATCH_SIZE]
            )
            if not rows:
                return []
            if not (settings.OWNER_EMAIL or settings.OWNER_NOTIFY_URL):
                _update(rows, state=Notification.State.SKIPPED)
                logger.info("owner notification skipped: no channel set", extra={"kind": kind, "count": len(rows)})
                return []
            for row in rows:
                row.attempts += 1
            _update(rows, state=Notification.State.SENDING, attempts=None)
        try:
            _send_by_email(rows)
            _send_by_push(rows)
        except (requests.RequestException, OSError) as error:
            _update(rows, state=Notification.State.PENDING, last_error=str(error)[:2000])
            logger.warning("owner notification not delivered; will retry", extra={"kind": kind, "error": str(error)})
            raise NotificationNotDelivered(str(error)) from error
        _update(rows, state=Notification.State.SENT, sent_at=timezone.now(), last_error="")
    logger.info("owner notified", extra={"kind": kind, "count": len(rows)})
    return rows


def give_up_delivering(*, notification_id: int) -> None:
    """The job ran out of retries: the rows of its kind that were tried and are still pending are marked failed
    (a row recorded since, never tried, keeps its own job)."""
    kind = Notification.objects.filter(pk=notification_id).values_list("kind", flat=True).first()
    Notification.objects.filter(kind=kind, state=Notification.State.PENDING, attempts__gt=0).update(
        state=Notification.State.FAILED
    )


def _update(rows: list[Notification], *, attempts: object = "keep", **fields: object) -> None:
    """Write `fields` to these rows (one UPDATE per distinct attempts count, so each keeps its own)."""
    for row in rows:
        for name, value in fields.items():
            setattr(row, name, value)
    if attempts is None:
        for row in rows:
            Notification.objects.filter(pk=row.pk).update(attempts=row.attempts, **fields)
        return
    Notification.objects.filter(pk__in=[row.pk for row in rows]).update(**fields)


def _digest(rows: list[Notification]) -> tuple[str, str, str]:
    """The subject, text and URL one delivery says for these rows (one row, or a burst of one kind)."""
    label = rows[0].get_kind_display()
    if len(rows) == 1:
        return label, rows[0].text, absolute_url(rows[0].path)
    text = "\n".join(row.text for row in rows)
    return f"{len(rows)} × {label}", text, absolute_url(reverse("admin:index"))


def _send_by_email(rows: list[Notification]) -> None:
    todo = [row for row in rows if row.emailed_at is None]
    if not settings.OWNER_EMAIL or not todo:
        return
    subject, text, url = _digest(todo)
    send_mail(
        subject=f"[{settings.SHOP_NAME}] {subject}",
        message=f"{text}\n\n{url}\n",
        from_email=None,
        recipient_list=[settings.OWNER_EMAIL],
    )
    _update(todo, emailed_at=timezone.now())


def _send_by_push(rows: list[Notification]) -> None:
    todo = [row for row in rows if row.pushed_at is None]
    if not settings.OWNER_NOTIFY_URL or not todo:
        return
    subject, text, url = _digest(todo)
    # `content` as well as `text`: Discord's incoming webhooks read `content`, Slack's and most others `text`.
    body = {"event": todo[0].kind, "text": text, "url": url, "title": subject, "content": f"{text}\n{url}"}
    response = requests.post(settings.OWNER_NOTIFY_URL, json=body, timeout=settings.OWNER_NOTIFY_TIMEOUT)
    response.raise_for_status()
    _update(todo, pushed_at=timezone.now())
