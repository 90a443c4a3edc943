"""Workers whose work spans the apps below: the assistant puts them together, so they live at the top.

- `handle_event`: a TikTok event, handled with its conversation's mutex (tiktok), recorded as customers and
  messages (conversations.intake), answered (assistant.services.answer);
- what the shop tells customers after the fact, where a change to the stock and the message it causes are one
  transaction (assistant.notices): a hold's reminder, a waitlist's turn, a drop's result.

The apps below ask for these by actor name through `philia.jobs` (tiktok's inbox by `WebhookEvent.inbox_actor`) and
never import this module. The names are those the actors had in tiktok/tasks.py and inventory/tasks.py: jobs
already waiting in Redis carry them.
"""

import random
from datetime import datetime, timedelta

import dramatiq
from django.conf import settings
from django.utils import timezone
from dramatiq import Retry
from dramatiq_crontab import cron

from assistant import arrivals, notices
from assistant.services import answer
from conversations.intake import handle_conversation_events
from conversations.queueing import sent_here
from conversations.tasks import send_now_or_later
from inventory import selectors as inventory_selectors
from inventory import services as inventory_services
from philia import jobs
from philia.queues import TIMERS_QUEUE
from tiktok.limits import Lease, acquire_within, conversation_mutex, renewed_while_held
from tiktok.models import WebhookEvent
from tiktok.selectors import inbound_events_waiting, latest_waiting_message, received_times
from tiktok.services import conversation_key

# How long a job waits in-process for its conversation's mutex before yielding its thread and retrying. A turn
# takes tens of milliseconds, so a bubble that came just after its conversation's turn began is answered right
# after it; a longer wait held worker threads while one customer flooded (with 300 bubbles, every thread waiting for
# that one conversation, and everyone else's DMs behind them).
MUTEX_WAIT_SECONDS = 0.25
# How soon a drop item whose claims are still being handled looks again.
SETTLE_RECHECK_SECONDS = 0.25


class ConversationBusy(Retry):
    """Another worker is handling this conversation; try again shortly (it may handle this event too)."""


# 30 retries: at ~3 s each while a conversation is busy (a slow assistant turn), or with backoff from 1 s to 30 s
# when not even a failure could be recorded (the database is down); after that the sweep sends the event again. A
# failure that is recorded is not raised: the event is failed, and the sweep tries it again with backoff.
@dramatiq.actor(max_retries=30, min_backoff=1_000, max_backoff=30_000, time_limit=300_000)
def handle_event(event_id: int, conversation: str | None = None) -> None:
    """Handle one stored webhook event — and the others of its conversation still waiting, a customer's bubbles
    answered as one turn — with the conversation's mutex held, so one conversation is never handled twice at once
    or out of order.
    Idempotent: an event already handled returns quietly. `conversation` is its `conversation_key` when the
    webhook enqueued it (else the event is read for it: the sweep's and Retry's jobs). The one place the
    assistant is handed to the conversations (`conversations.intake` does not import it)."""
    if conversation is None:
        event = WebhookEvent.objects.filter(pk=event_id).only("pk", "conversation_id", "status").first()
        if event is None or event.status not in (WebhookEvent.Status.RECEIVED, WebhookEvent.Status.PROCESSING):
            return
        conversation = conversation_key(event=event)
    if settings.COALESCE_SECONDS > 0 and _waits_for_more_bubbles(event_id=event_id, conversation=conversation):
        return
    mutex = conversation_mutex(conversation)
    with sent_here() as outgoing:
        try:
            _handle_when_free(mutex, event_id=event_id)
        finally:
            # The conversation is free again: its replies are sent from here, each in its customer's share of the
            # sends and within the shop's rate (what must wait goes to a send job), so a DM costs one job, not two.
            send_now_or_later(outgoing)


def _handle_when_free(mutex: Lease, *, event_id: int) -> None:
    with acquire_within(mutex, seconds=0) as acquired:
        if acquired:
            _handle_holding(mutex, event_id=event_id)
            return
    # Busy. An event the worker holding the conversation has taken up already (a bubble of the burst it answers) is
    # its to finish: this job ends instead of holding a thread (if that worker dies, the inbox sweep sends the event
    # again). One still received may come after that worker's turn: wait for the conversation.
    if not WebhookEvent.objects.filter(pk=event_id, status=WebhookEvent.Status.RECEIVED).exists():
        return
    with acquire_within(mutex, seconds=MUTEX_WAIT_SECONDS) as acquired:
        if not acquired:
            raise ConversationBusy("conversation busy", delay=random.randint(300, 1_000))
        _handle_holding(mutex, event_id=event_id)


def _handle_holding(mutex: Lease, *, event_id: int) -> None:
    with renewed_while_held(mutex):
        handle_conversation_events(up_to_event_id=event_id, answer=answer)


def _waits_for_more_bubbles(*, event_id: int, conversation: str) -> bool:
    """With COALESCE_SECONDS, a conversation whose newest bubble came less than that long ago is not answered yet:
    the newest bubble's job comes back when it has waited that long (and answers the bubbles before it too); the
    jobs of the others end here. A lost job is sent again by the inbox sweep."""
    latest = latest_waiting_message(conversation_id=conversation)
    if latest is None:
        return False
    newest_id, received_at = latest
    remaining = received_at + timedelta(seconds=settings.COALESCE_SECONDS) - timezone.now()
    if remaining <= timedelta(0):
        return False
    if newest_id == event_id:
        jobs.enqueue(
            "handle_event",
            event_id,
            conversation,
            delay_ms=int(remaining.total_seconds() * 1000) + 1,
            unless_sent="the inbox sweep sends the event again",
        )
    return True


@dramatiq.actor(queue_name=TIMERS_QUEUE, max_retries=5, time_limit=60_000)
def remind_hold(item_id: int, held_until: str) -> None:
    """The one reminder of a hold, HOLD_REMINDER_HOURS before it runs out (idempotent)."""
    notices.remind_hold(item_id=item_id, held_until=datetime.fromisoformat(held_until))


@dramatiq.actor(max_retries=5, time_limit=60_000)
def offer_to_waitlist(item_id: int) -> None:
    """A piece came free: the first reachable customer in its line gets it held (or is told). Idempotent."""
    notices.offer_to_waitlist(item_id=item_id)


@dramatiq.actor(max_retries=5, time_limit=60_000)
def offer_waiting_pieces(customer_id: str) -> None:
    """The customer wrote again: the pieces they wait for that are free get their waitlist turn. Idempotent."""
    notices.offer_waiting_pieces(customer_id=customer_id)


@dramatiq.actor(max_retries=20, min_backoff=200, max_backoff=5_000, time_limit=120_000)
def settle_drop_item(drop_item_id: int) -> None:
    """Settle a dropped piece once its settling window (counted from the first claim's webhook receipt) is
    over and every message the webhook received within it has been handled; until then, look again shortly.
    Idempotent: a settled drop item returns quietly, so a restart or a duplicate job changes nothing."""
    drop_item = inventory_selectors.drop_items_unsettled().filter(pk=drop_item_id).select_related("drop").first()
    if drop_item is None:
        return
    claims = list(inventory_selectors.drop_claims_in_order(drop_item_id=drop_item_id))
    received = received_times(tiktok_message_ids=[claim.tiktok_message_id for claim in claims])
    deadline = inventory_services.settling_deadline(
        drops_at=drop_item.drop.drops_at,
        received=[received.get(claim.tiktok_message_id, claim.created_at) for claim in claims],
        settle_seconds=drop_item.drop.settle_seconds,
    )
    now = timezone.now()
    if deadline is None:
        return
    if now < deadline:
        inventory_services.enqueue_drop_settlement(
            drop_item_id=drop_item_id, delay_seconds=(deadline - now).total_seconds()
        )
        return
    overdue = (now - deadline).total_seconds() > settings.DROP_SETTLE_MAX_WAIT_SECONDS
    if not overdue and inbound_events_waiting(received_up_to=deadline):
        inventory_services.enqueue_drop_settlement(drop_item_id=drop_item_id, delay_seconds=SETTLE_RECHECK_SECONDS)
        return
    notices.settle_drop_item(drop_item_id=drop_item_id, received_at=received)


@cron("7 * * * *")
@dramatiq.actor(max_retries=0, time_limit=120_000)
def tell_new_arrivals() -> None:
    """Hourly: "new in your size" to each customer due one (propositions.arrivals). At most one a day per customer,
    so a run repeated or overlapping sends nothing more."""
    arrivals.tell_new_arrivals()
