"""Workers for the TikTok channel: handle webhook events, keep the token fresh. (The sweep for lost and failed
events of every inbox is `philia.tasks.requeue_stale_events_job`.)"""

import logging
import random

import dramatiq
from dramatiq import Retry
from dramatiq_crontab import cron

from assistant.services import answer
from conversations.intake import handle_conversation_events
from tiktok.credentials import refresh_access_token_if_expiring
from tiktok.limits import acquire_within, conversation_mutex, renewed_while_held
from tiktok.models import WebhookEvent
from tiktok.services import conversation_key

logger = logging.getLogger(__name__)

# How long a job waits in-process for its conversation's mutex before yielding its thread and retrying.
MUTEX_WAIT_SECONDS = 2.0


class ConversationBusy(Retry):
    """Another worker is handling this conversation; try again shortly (it may handle this event too)."""


# 30 retries: at ~3 s each while a conversation is busy (a slow assistant turn), or with backoff from 1 s to 30 s
# when not even a failure could be recorded (the database is down); after that the sweep sends the event again. A
# failure that is recorded is not raised: the event is failed, and the sweep tries it again with backoff.
@dramatiq.actor(max_retries=30, min_backoff=1_000, max_backoff=30_000, time_limit=300_000)
def handle_event(event_id: int, conversation: str | None = None) -> None:
    """Handle one stored webhook event — and any earlier ones of its conversation still waiting — with
    the conversation's mutex held, so one conversation is never handled twice at once or out of order.
    Idempotent: an event already handled returns quietly. `conversation` is its `conversation_key` when the
    webhook enqueued it (else the event is read for it: the sweep's and Retry's jobs). The one place the
    assistant is handed to the conversations (`conversations.intake` does not import it)."""
    if conversation is None:
        event = WebhookEvent.objects.filter(pk=event_id).only("pk", "conversation_id", "status").first()
        if event is None or event.status not in (WebhookEvent.Status.RECEIVED, WebhookEvent.Status.PROCESSING):
            return
        conversation = conversation_key(event=event)
    mutex = conversation_mutex(conversation)
    with acquire_within(mutex, seconds=MUTEX_WAIT_SECONDS) as acquired:
        if not acquired:
            raise ConversationBusy("conversation busy", delay=random.randint(500, 1_500))
        with renewed_while_held(mutex):
            handle_conversation_events(up_to_event_id=event_id, answer=answer)


@cron("*/15 * * * *")
@dramatiq.actor(max_retries=0, time_limit=60_000)
def refresh_tiktok_token() -> None:
    """Refresh the stored access token before it expires (TikTok's last about 24 hours)."""
    refresh_access_token_if_expiring()
