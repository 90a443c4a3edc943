"""Writes for the TikTok channel: the inbox of webhook events, and what image messages need (the
conversation's capabilities, uploaded photos' media ids). What an event does to the shop is
`conversations.intake`'s; the event's status changes here."""

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from tiktok.circuit import BrokerCircuit, webhook_circuit
from tiktok.client import TikTokClient, TikTokError
from tiktok.credentials import current_access_token
from tiktok.envelopes import KNOWN_EVENTS, Envelope
from tiktok.models import ConversationCapability, UploadedImage, WebhookEvent

logger = logging.getLogger(__name__)

# After this many failed tries an event is marked failed (staff can replay it) so that one bad
# event cannot hold up the rest of its conversation for ever.
MAX_EVENT_ATTEMPTS = 5


class EventNotUsable(Exception):
    """The stored event lacks what its kind needs (a sender, a conversation): retrying cannot help."""


@dataclass(frozen=True)
class RecordedEvent:
    outcome: str  # "accepted", "duplicate" or "ignored": the webhook's answer
    event_id: int | None


# --- Intake ---------------------------------------------------------------------------------------


def record_webhook_event(*, body: bytes, envelope: Envelope) -> RecordedEvent:
    """Store one verified delivery and enqueue its handling once committed.

    One row per dedupe key (TikTok's message id): the unique index turns a repeat delivery into a
    duplicate with nothing else done, even when ten arrive at once. Deliveries for
    another business, or of events we do not handle, are stored as ignored and not enqueued.
    """
    status, reason = WebhookEvent.Status.RECEIVED, ""
    if not settings.TIKTOK_BUSINESS_ID:
        status, reason = WebhookEvent.Status.IGNORED, "TIKTOK_BUSINESS_ID is not set, so no delivery is ours."
    elif envelope.user_openid != settings.TIKTOK_BUSINESS_ID:
        status, reason = WebhookEvent.Status.IGNORED, "For another business (user_openid does not match)."
    elif envelope.event not in KNOWN_EVENTS:
        status, reason = WebhookEvent.Status.IGNORED, "Not an event the shop handles."
    # parse_envelope has bounded every identifier to its column; only a read receipt's key can outgrow its own.
    dedupe_key = envelope.dedupe_key(body)
    if len(dedupe_key) > 300:
        dedupe_key = f"sha256:{hashlib.sha256(dedupe_key.encode()).hexdigest()}"
    event_id = _insert_unless_seen(
        event=envelope.event,
        tiktok_message_id=envelope.message_id or None,
        dedupe_key=dedupe_key,
        conversation_id=envelope.conversation_id,
        raw_body=body.decode("utf-8"),
        status=status,
        last_error=reason,
    )
    if event_id is None:
        logger.info("tiktok webhook duplicate", extra={"dedupe_key": dedupe_key, "event": envelope.event})
        return RecordedEvent(outcome="duplicate", event_id=None)
    if status == WebhookEvent.Status.IGNORED:
        logger.info("tiktok webhook ignored", extra={"event_id": event_id, "event": envelope.event, "reason": reason})
        return RecordedEvent(outcome="ignored", event_id=event_id)
    # Outside a transaction this runs at once (the INSERT has committed); inside one, after it commits.
    transaction.on_commit(
        partial(
            enqueue_event,
            event_id=event_id,
            conversation=conversation_key_of(conversation_id=envelope.conversation_id, event_id=event_id),
            circuit=webhook_circuit,
        )
    )
    return RecordedEvent(outcome="accepted", event_id=event_id)


def _insert_unless_seen(**values: object) -> int | None:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id: the new row's id, or None when its dedupe key (or TikTok
    message id) is already stored. One statement, one round trip, atomic on its own; a concurrent twin
    waits on the unique index and then gets None. No exception, so an enclosing transaction stays usable."""
    values = {"received_at": timezone.now(), "attempts": 0, **values}
    quote = connection.ops.quote_name
    table = quote(WebhookEvent._meta.db_table)
    columns = ", ".join(quote(WebhookEvent._meta.get_field(name).column) for name in values)
    placeholders = ", ".join(["%s"] * len(values))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) ON CONFLICT DO NOTHING RETURNING {quote('id')}",
            list(values.values()),
        )
        row = cursor.fetchone()
    return row[0] if row else None


def enqueue_event(*, event_id: int, conversation: str | None = None, circuit: BrokerCircuit | None = None) -> None:
    """Hand the event to a worker. A broker outage is logged, not raised: the event is stored, and the
    sweep re-enqueues it. The webhook passes its `circuit`: after a failure the broker is not tried for
    BROKER_CIRCUIT_SECONDS, so a Redis outage costs the webhook one timeout, not one per delivery. With the
    event's `conversation_key` (the webhook knows it), the worker does not read the event to find it."""
    from tiktok.tasks import handle_event

    if circuit is not None and circuit.is_open():
        logger.warning(
            "tiktok event not enqueued (broker circuit open); the sweep will pick it up", extra={"event_id": event_id}
        )
        return
    try:
        handle_event.send(event_id, conversation) if conversation is not None else handle_event.send(event_id)
    except Exception:
        if circuit is not None:
            circuit.failed()
        logger.exception("tiktok event not enqueued; the sweep will pick it up", extra={"event_id": event_id})
    else:
        if circuit is not None:
            circuit.succeeded()


def requeue_stale_events(*, older_than: timedelta | None = None, limit: int = 500) -> int:
    """Re-enqueue events still `received` after `older_than` (broker was down, worker died). Idempotent:
    handling an event twice does nothing the second time. Returns how many were re-enqueued."""
    if older_than is None:
        older_than = timedelta(seconds=settings.TIKTOK_STALE_EVENT_SECONDS)
    now = timezone.now()
    cutoff = now - older_than
    stale = list(
        WebhookEvent.objects.filter(status=WebhookEvent.Status.RECEIVED, received_at__lt=cutoff)
        .filter(Q(requeued_at__isnull=True) | Q(requeued_at__lt=cutoff))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    if not stale:
        return 0
    with transaction.atomic():
        WebhookEvent.objects.filter(pk__in=stale).update(requeued_at=now)
        for event_id in stale:
            transaction.on_commit(partial(enqueue_event, event_id=event_id))
    logger.warning("tiktok events re-enqueued", extra={"count": len(stale), "first": stale[0]})
    return len(stale)


def reopen_webhook_event(*, event_id: int) -> WebhookEvent:
    """Put a stored event back to `received` so it is handled again (replay). Safe on a processed event:
    the handling is idempotent, so only what is missing (say, a reply) gets done. Raises
    WebhookEvent.DoesNotExist."""
    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update(no_key=True).get(pk=event_id)
        event.status = WebhookEvent.Status.RECEIVED
        event.last_error = ""
        event.processed_at = None
        event.save(update_fields=["status", "last_error", "processed_at"])
    logger.info("tiktok event reopened", extra={"event_id": event_id})
    return event


def replay_webhook_event(*, event_id: int) -> WebhookEvent:
    """Reopen the event and enqueue it (the admin's replay action)."""
    event = reopen_webhook_event(event_id=event_id)
    transaction.on_commit(partial(enqueue_event, event_id=event.pk))
    return event


def clear_webhook_events() -> dict[str, int]:
    """Delete every stored webhook event (`seed --clear`); returns how many. The credentials are kept."""
    with transaction.atomic():
        _, deleted = WebhookEvent.objects.all().delete()
    return {"webhook events": deleted.get(WebhookEvent._meta.label, 0)}


# --- Handling: conversations.intake does what an event means; its status changes here ---------------


def conversation_key(*, event: WebhookEvent) -> str:
    """What the per-conversation mutex is keyed on."""
    return conversation_key_of(conversation_id=event.conversation_id, event_id=event.pk)


def conversation_key_of(*, conversation_id: str, event_id: int) -> str:
    """`conversation_key` of the event `event_id` of this conversation (none: the event is its own)."""
    return conversation_id or f"event-{event_id}"


def finish_webhook_event(*, event: WebhookEvent, status: str = WebhookEvent.Status.PROCESSED, note: str = "") -> None:
    """Mark a handled event processed (or ignored, with the reason), counting the attempt."""
    WebhookEvent.objects.filter(pk=event.pk).update(
        status=status, processed_at=timezone.now(), attempts=event.attempts + 1, last_error=note
    )


def fail_webhook_event(*, event: WebhookEvent, error: Exception) -> bool:
    """Record a failed attempt at handling the event; returns whether it is to be tried again.

    After MAX_EVENT_ATTEMPTS, or at once for `EventNotUsable` (retrying cannot help), the event is marked
    failed for staff to replay. Call from the `except` block: the traceback is logged.
    """
    attempts = event.attempts + 1
    final = attempts >= MAX_EVENT_ATTEMPTS or isinstance(error, EventNotUsable)
    WebhookEvent.objects.filter(pk=event.pk, status=WebhookEvent.Status.RECEIVED).update(
        attempts=attempts,
        last_error=f"{type(error).__name__}: {error}"[:2000],
        status=WebhookEvent.Status.FAILED if final else WebhookEvent.Status.RECEIVED,
    )
    logger.exception("tiktok event failed", extra={"event_id": event.pk, "attempts": attempts, "final": final})
    return not final


# --- Images ---------------------------------------------------------------------------------------


def image_send_allowed(*, conversation_id: str, business_has_replied: bool, now: datetime | None = None) -> bool:
    """Whether TikTok lets this conversation receive images (its `IMAGE_SEND` capability; many regions cannot).

    TikTok's answer is kept per conversation for `TIKTOK_CAPABILITIES_CACHE_HOURS`. Fails safe: no
    conversation, no access token or a check that errors means False (send the item page's link instead),
    and a failed check is not remembered. Makes an HTTP call: never inside a transaction holding locks.
    """
    if not conversation_id:
        return False
    now = now or timezone.now()
    fresh_since = now - timedelta(hours=settings.TIKTOK_CAPABILITIES_CACHE_HOURS)
    cached = ConversationCapability.objects.filter(conversation_id=conversation_id, checked_at__gt=fresh_since).first()
    if cached is not None:
        return cached.image_send
    access_token = current_access_token()
    if not access_token or not settings.TIKTOK_BUSINESS_ID:
        return False
    try:
        allowed = TikTokClient(access_token=access_token).can_send_images(
            business_id=settings.TIKTOK_BUSINESS_ID,
            conversation_id=conversation_id,
            conversation_type="SINGLE" if business_has_replied else "STRANGER",
        )
    except TikTokError as error:
        logger.warning(
            "tiktok capabilities check failed; sending links instead of images",
            extra={"conversation": conversation_id, "code": error.code},
        )
        return False
    ConversationCapability.objects.update_or_create(
        conversation_id=conversation_id, defaults={"image_send": allowed, "checked_at": now}
    )
    logger.info("tiktok capabilities checked", extra={"conversation": conversation_id, "image_send": allowed})
    return allowed


def media_id_for(
    *, client: TikTokClient, file_name: str, read: Callable[[], bytes], upload_again: bool = False
) -> tuple[str, bool]:
    """TikTok's `media_id` for a stored photo file, and whether it was the remembered one (False: just uploaded).

    A file is uploaded once (`read` gives its bytes only then) and its id remembered for
    `TIKTOK_MEDIA_ID_MAX_AGE_DAYS`; `upload_again` uploads it anew (TikTok refused the remembered id). The
    upload is an HTTP call made outside any transaction; two workers uploading the same file at once each
    get a working id and the last one is kept. Raises `TikTokError` like every call of the client.
    """
    now = timezone.now()
    if not upload_again:
        fresh_since = now - timedelta(days=settings.TIKTOK_MEDIA_ID_MAX_AGE_DAYS)
        cached = UploadedImage.objects.filter(file_name=file_name, uploaded_at__gt=fresh_since).first()
        if cached is not None:
            return cached.media_id, True
    media_id = client.upload_image(
        business_id=settings.TIKTOK_BUSINESS_ID, file_name=file_name.rsplit("/", 1)[-1], content=read()
    )
    UploadedImage.objects.update_or_create(file_name=file_name, defaults={"media_id": media_id, "uploaded_at": now})
    logger.info("image uploaded to tiktok", extra={"file_name": file_name, "media_id": media_id})
    return media_id, False
