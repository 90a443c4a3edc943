"""Writes for the TikTok channel: the inbox of webhook events, and what image messages need (the
conversation's capabilities, uploaded photos' media ids). What an event does to the shop is
`conversations.intake`'s; the event's life (received → processing → done | failed) is `philia.inbox`'s, and
its status changes here."""

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Q, QuerySet, Subquery
from django.utils import timezone

from philia import inbox
from philia.db import Along, CompiledQuery, run_along
from tiktok.circuit import BrokerCircuit, webhook_circuit
from tiktok.client import TikTokClient, TikTokError
from tiktok.credentials import current_access_token
from tiktok.envelopes import KNOWN_EVENTS, RECEIVE_MESSAGE, Envelope
from tiktok.models import ConversationCapability, UploadedImage, WebhookEvent

logger = logging.getLogger(__name__)


class EventNotUsable(Exception):
    """The stored event lacks what its kind needs (a sender, a conversation): retrying cannot help."""


@dataclass(frozen=True)
class RecordedEvent:
    outcome: str  # "accepted", "duplicate" or "ignored": the webhook's answer
    event_id: int | None


# --- Intake ---------------------------------------------------------------------------------------


def record_webhook_event(*, body: bytes, envelope: Envelope) -> RecordedEvent:
    """Store one verified delivery and enqueue its handling once committed.

    One row per dedupe key (TikTok's message id), in one statement: the unique index turns a repeat delivery into
    a duplicate with nothing else done, even when ten arrive at once — unless the stored one failed: then it is
    handled again. Deliveries for another business, or of events we do not handle, are stored done with the reason
    as their outcome, and not enqueued.
    """
    ignored = ""
    if not settings.TIKTOK_BUSINESS_ID:
        ignored = "TIKTOK_BUSINESS_ID is not set, so no delivery is ours."
    elif envelope.user_openid != settings.TIKTOK_BUSINESS_ID:
        ignored = "For another business (user_openid does not match)."
    elif envelope.event not in KNOWN_EVENTS:
        ignored = "Not an event the shop handles."
    # parse_envelope has bounded every identifier to its column; only a read receipt's key can outgrow its own.
    dedupe_key = envelope.dedupe_key(body)
    if len(dedupe_key) > 300:
        dedupe_key = f"sha256:{hashlib.sha256(dedupe_key.encode()).hexdigest()}"
    done = {"status": WebhookEvent.Status.DONE, "outcome": ignored, "processed_at": timezone.now()} if ignored else {}
    recorded = inbox.record(
        WebhookEvent,
        unique="dedupe_key",
        event=envelope.event,
        tiktok_message_id=envelope.message_id or None,
        dedupe_key=dedupe_key,
        conversation_id=envelope.conversation_id,
        raw_body=body.decode("utf-8"),
        **done,
    )
    if recorded.event_id is None:
        logger.info("tiktok webhook duplicate", extra={"dedupe_key": dedupe_key, "event": envelope.event})
        return RecordedEvent(outcome="duplicate", event_id=None)
    if ignored:
        logger.info(
            "tiktok webhook ignored", extra={"event_id": recorded.event_id, "event": envelope.event, "reason": ignored}
        )
        return RecordedEvent(outcome="ignored", event_id=recorded.event_id)
    event_id = recorded.event_id
    # Outside a transaction this runs at once (the INSERT has committed); inside one, after it commits.
    transaction.on_commit(
        lambda: enqueue_event(
            event_id=event_id,
            conversation=conversation_key_of(conversation_id=envelope.conversation_id, event_id=event_id),
            circuit=webhook_circuit,
        )
    )
    return RecordedEvent(outcome="accepted", event_id=recorded.event_id)


def enqueue_event(*, event_id: int, conversation: str | None = None, circuit: BrokerCircuit | None = None) -> None:
    """Hand the event to a worker (`philia.inbox.enqueue`: an outage is logged, and the sweep sends it again). The
    webhook passes its `circuit`: after a failure the broker is not tried for BROKER_CIRCUIT_SECONDS, so a Redis
    outage costs the webhook one timeout, not one per delivery. With the event's `conversation_key` (the webhook
    knows it), the worker does not read the event to find it."""
    inbox.enqueue(
        WebhookEvent, event_id=event_id, args=() if conversation is None else (conversation,), circuit=circuit
    )


def reopen_webhook_event(*, event_id: int) -> WebhookEvent:
    """Put a stored event back to `received` and send it to a worker once committed (replay, the admin's Retry).
    Safe on a done event: the handling is idempotent, so only what is missing (say, a reply) gets done. Raises
    WebhookEvent.DoesNotExist."""
    if not inbox.reopen(WebhookEvent.objects.filter(pk=event_id)):
        raise WebhookEvent.DoesNotExist(f"No webhook event {event_id}.")
    logger.info("tiktok event reopened", extra={"event_id": event_id})
    return WebhookEvent.objects.get(pk=event_id)


# The `replay_event` command's name for it.
replay_webhook_event = reopen_webhook_event


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


def claim_waiting_events(*, up_to_event_id: int) -> list[WebhookEvent]:
    """Take up this event and the other events of its conversation still waiting, in arrival order: received →
    processing, each try counted. None when the event itself is no longer waiting. (Events that came after it are
    taken too: their customer's bubbles are answered in one turn, and their own jobs find nothing left to do.)

    Call with the conversation's mutex held: then an event found `processing` was left by a worker that is gone
    (the mutex is free), and is taken up again. One statement (`philia.inbox.claim`)."""
    events = _WAITING_UP_TO.sql(up_to_event_id=up_to_event_id)
    return inbox.claim(events, processing_since_before=timezone.now())


def _waiting_up_to(*, up_to_event_id: int) -> QuerySet[WebhookEvent]:
    """`claim_waiting_events`'s events: this one and the others of its conversation, while it is waiting."""
    waiting = Q(status__in=[WebhookEvent.Status.RECEIVED, WebhookEvent.Status.PROCESSING])
    target = WebhookEvent.objects.filter(waiting, pk=up_to_event_id)
    same_conversation = Q(conversation_id__gt="", conversation_id=Subquery(target.values("conversation_id")[:1]))
    events = WebhookEvent.objects.filter(Exists(target), waiting).filter(Q(pk=up_to_event_id) | same_conversation)
    return events.order_by().only("pk")


# Every DM's job runs these: compiled once (philia.db.CompiledQuery).
_WAITING_UP_TO = CompiledQuery(_waiting_up_to, up_to_event_id=-1901)


def claim_later_messages(*, conversation_id: str, after_event_id: int) -> list[WebhookEvent]:
    """The conversation's events received after `after_event_id` and still waiting (bubbles that came while the
    caller, holding the conversation's mutex, was answering the ones before them), taken up as
    `claim_waiting_events` takes them."""
    return (
        inbox.claim(_received_after(conversation_id=conversation_id, event_id=after_event_id))
        if conversation_id
        else []
    )


def _received_after(*, conversation_id: str, event_id: int) -> QuerySet[WebhookEvent]:
    """The conversation's events received after `event_id` that no worker has taken up yet."""
    return WebhookEvent.objects.filter(
        conversation_id=conversation_id, pk__gt=event_id, status=WebhookEvent.Status.RECEIVED
    )


def finish_webhook_events(*, events: Sequence[WebhookEvent], unless_later_message: bool = False) -> bool:
    """Mark handled events done together (a burst of bubbles answered as one turn), in one UPDATE. With
    `unless_later_message`, only if no later message of their conversation is waiting — else nothing changes and
    False: the caller rolls back its reply and answers that message in the same turn."""
    return run_along(finishing_webhook_events(events=events, unless_later_message=unless_later_message)) > 0


def finishing_webhook_events(*, events: Sequence[WebhookEvent], unless_later_message: bool = False) -> Along:
    """`finish_webhook_events`' UPDATE, not run yet: the handling job runs it in the statement that queues the
    turn's reply (`philia.db.insert_row(along=…)`), or on its own (`philia.db.run_along`). It finished them when
    it changed any row."""
    last = events[-1]
    if len(events) == 1 and unless_later_message and last.conversation_id:  # most turns: one DM
        return inbox.finishing(_ONE_UNLESS_LATER.sql(event_id=last.pk, conversation_id=last.conversation_id))
    finished = WebhookEvent.objects.filter(pk__in=[event.pk for event in events])
    if unless_later_message and last.conversation_id:
        finished = finished.filter(~Exists(_later_message(conversation_id=last.conversation_id, event_id=last.pk)))
    return inbox.finishing(finished)


def _one_unless_later(*, event_id: int, conversation_id: str) -> QuerySet[WebhookEvent]:
    """`finish_webhook_events`' one event, unless a later message of its conversation is waiting."""
    later = _later_message(conversation_id=conversation_id, event_id=event_id)
    return WebhookEvent.objects.filter(~Exists(later), pk=event_id).order_by().only("pk")


def _later_message(*, conversation_id: str, event_id: int) -> QuerySet[WebhookEvent]:
    """A message of the conversation received after `event_id` and waiting: the turn takes it in."""
    return _received_after(conversation_id=conversation_id, event_id=event_id).filter(event=RECEIVE_MESSAGE)


_ONE_UNLESS_LATER = CompiledQuery(_one_unless_later, event_id=-1901, conversation_id="\x00conversation")


def finish_webhook_event(*, event: WebhookEvent, outcome: str = "") -> None:
    """Mark a handled event done (with the reason as its outcome when it was ignored). One UPDATE."""
    inbox.finish(event, outcome=outcome)


def fail_webhook_event(*, event: WebhookEvent, error: Exception) -> None:
    """Record a failed try at handling the event: the sweep tries it again with backoff, or at once for
    `EventNotUsable` (retrying cannot help) it gave up and the owner is told (`philia.inbox.fail`). Call from the
    `except` block: the traceback is logged."""
    inbox.fail(event, error=error, retry=not isinstance(error, EventNotUsable))


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
