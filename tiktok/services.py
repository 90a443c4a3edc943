"""Writes for the TikTok channel: the inbox of webhook events and what each event does to the shop."""

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from assistant import services as assistant
from conversations import services as conversation_services
from conversations.models import Message
from conversations.selectors import assistant_reply_to
from tiktok.envelopes import (
    KNOWN_EVENTS,
    MARK_READ,
    RECEIVE_MESSAGE,
    RECEIVE_MESSAGE_EU,
    SEND_MESSAGE,
    Envelope,
    parse_envelope,
)
from tiktok.models import WebhookEvent

logger = logging.getLogger(__name__)

# After this many failed tries an event is marked failed (staff can replay it) so that one bad
# event cannot hold up the rest of its conversation for ever.
MAX_EVENT_ATTEMPTS = 5
EU_NOTE = (
    "The customer wrote from the EEA, Switzerland or the UK: TikTok does not pass on the content "
    "and the message cannot be answered through the API."
)


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
    transaction.on_commit(partial(enqueue_event, event_id=event_id))
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


def enqueue_event(*, event_id: int) -> None:
    """Hand the event to a worker. A broker outage is logged, not raised: the event is stored, and the
    sweep re-enqueues it."""
    from tiktok.tasks import handle_event

    try:
        handle_event.send(event_id)
    except Exception:
        logger.exception("tiktok event not enqueued; the sweep will pick it up", extra={"event_id": event_id})


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


# --- Handling -------------------------------------------------------------------------------------


def conversation_key(*, event: WebhookEvent) -> str:
    """What the per-conversation mutex is keyed on."""
    return event.conversation_id or f"event-{event.pk}"


def handle_conversation_events(*, up_to_event_id: int) -> int:
    """Handle the conversation's waiting events in arrival order, up to and including this one.

    The caller holds the conversation's mutex, so no two workers interleave one conversation, and an
    event whose own job was delayed (a retry) is still handled in its place. Returns how many ran.
    """
    target = WebhookEvent.objects.filter(pk=up_to_event_id).only("pk", "conversation_id", "status").first()
    if target is None or target.status != WebhookEvent.Status.RECEIVED:
        return 0
    waiting = WebhookEvent.objects.filter(pk=target.pk)
    if target.conversation_id:
        waiting = WebhookEvent.objects.filter(conversation_id=target.conversation_id, pk__lte=target.pk)
    handled = 0
    for event in waiting.filter(status=WebhookEvent.Status.RECEIVED).order_by("pk"):
        handle_webhook_event(event=event)
        handled += 1
    return handled


def handle_webhook_event(*, event: WebhookEvent) -> None:
    """Do what one event means for the shop, once. A failure is recorded on the event and re-raised for a
    retry; after MAX_EVENT_ATTEMPTS (or when retrying cannot help) the event is marked failed instead."""
    try:
        envelope = parse_envelope(event.raw_body.encode("utf-8"))
        if not settings.TIKTOK_BUSINESS_ID or envelope.user_openid != settings.TIKTOK_BUSINESS_ID:
            # A replayed event that was ignored at intake is still not ours.
            _finish(
                event=event,
                status=WebhookEvent.Status.IGNORED,
                note="For another business (user_openid does not match).",
            )
        elif envelope.event == RECEIVE_MESSAGE:
            _customer_wrote(event=event, envelope=envelope)
        elif envelope.event == SEND_MESSAGE:
            _business_wrote(event=event, envelope=envelope)
        elif envelope.event == RECEIVE_MESSAGE_EU:
            _customer_wrote_from_eu(event=event, envelope=envelope)
        elif envelope.event == MARK_READ:
            _customer_read(event=event, envelope=envelope)
        else:
            _finish(event=event, status=WebhookEvent.Status.IGNORED, note="Not an event the shop handles.")
            logger.info("tiktok event ignored", extra={"event_id": event.pk, "event": envelope.event})
    except Exception as exc:
        attempts = event.attempts + 1
        final = attempts >= MAX_EVENT_ATTEMPTS or isinstance(exc, EventNotUsable)
        WebhookEvent.objects.filter(pk=event.pk, status=WebhookEvent.Status.RECEIVED).update(
            attempts=attempts,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            status=WebhookEvent.Status.FAILED if final else WebhookEvent.Status.RECEIVED,
        )
        logger.exception("tiktok event failed", extra={"event_id": event.pk, "attempts": attempts, "final": final})
        if not final:
            raise


def _finish(*, event: WebhookEvent, status: str = WebhookEvent.Status.PROCESSED, note: str = "") -> None:
    WebhookEvent.objects.filter(pk=event.pk).update(
        status=status, processed_at=timezone.now(), attempts=event.attempts + 1, last_error=note
    )


def _require(value: str, what: str) -> str:
    if not value:
        raise EventNotUsable(f"The event has no {what}.")
    return value


def _customer_wrote(*, event: WebhookEvent, envelope: Envelope) -> None:
    """im_receive_msg: record the customer's message (reopening the window), then let the assistant answer
    outside any transaction, and queue its answer together with marking the event processed."""
    sender_id = _require(envelope.sender_id, "from_user.id")
    if sender_id == settings.TIKTOK_BUSINESS_ID:
        _finish(event=event, status=WebhookEvent.Status.IGNORED, note="Sent by the business itself.")
        return
    inbound = conversation_services.record_inbound_message(
        tiktok_user_id=sender_id,
        username=envelope.sender_username,
        conversation_id=_require(envelope.conversation_id, "conversation_id"),
        tiktok_message_id=_require(envelope.message_id, "message_id"),
        content_type=envelope.message_type,
        text=envelope.message_text,
        sent_at=envelope.sent_at,
    )
    customer = inbound.customer
    answer = None
    if assistant_reply_to(message=inbound) is None and not customer.is_bot_paused():
        answer = assistant.answer(customer=customer, message=inbound)
    with transaction.atomic():
        if answer is not None and answer.text.strip():
            conversation_services.queue_outbound_message(
                customer=customer,
                text=answer.text,
                role=Message.Role.ASSISTANT,
                in_reply_to=inbound,
                ai_model=answer.ai_model,
                prompt_tokens=answer.prompt_tokens,
                completion_tokens=answer.completion_tokens,
            )
        _finish(event=event)


def _business_wrote(*, event: WebhookEvent, envelope: Envelope) -> None:
    """im_send_msg: an echo of our own API send confirms its row; anything else is the owner writing in the
    TikTok app, which is recorded and pauses the assistant for that customer."""
    customer_id = _require(envelope.recipient_id, "to_user.id")
    message_id = _require(envelope.message_id, "message_id")
    text = envelope.message_text
    with transaction.atomic():
        echoed = conversation_services.confirm_sent_echo(
            tiktok_user_id=customer_id, tiktok_message_id=message_id, text=text
        )
        if echoed is None and envelope.source != "API":
            conversation_services.record_owner_message(
                tiktok_user_id=customer_id,
                username=envelope.recipient_username,
                conversation_id=envelope.conversation_id,
                tiktok_message_id=message_id,
                content_type=envelope.message_type,
                text=text,
                sent_at=envelope.sent_at,
            )
        elif echoed is None:
            logger.info("tiktok API echo matched no outbound message", extra={"event_id": event.pk})
        _finish(event=event)


def _customer_wrote_from_eu(*, event: WebhookEvent, envelope: Envelope) -> None:
    """im_receive_msg_eu: nothing can be read or sent back; leave the owner a note on the customer."""
    with transaction.atomic():
        if envelope.sender_id and envelope.sender_id != settings.TIKTOK_BUSINESS_ID:
            conversation_services.add_system_note(
                tiktok_user_id=envelope.sender_id,
                username=envelope.sender_username,
                conversation_id=envelope.conversation_id,
                tiktok_message_id=envelope.message_id or None,
                text=EU_NOTE,
            )
        _finish(event=event)


def _customer_read(*, event: WebhookEvent, envelope: Envelope) -> None:
    """im_mark_read_msg: remember when the customer last read the shop's messages (the shop reading is ignored)."""
    read_at: datetime | None = envelope.last_read_at
    with transaction.atomic():
        if envelope.sender_id and envelope.sender_id != settings.TIKTOK_BUSINESS_ID and read_at is not None:
            conversation_services.record_read_receipt(tiktok_user_id=envelope.sender_id, read_at=read_at)
        _finish(event=event)
