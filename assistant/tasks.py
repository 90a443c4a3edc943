"""Workers whose work spans the apps below: the assistant puts them together, so they live at the top.

What the shop tells customers after the fact, where a change to the stock and the message it causes are one
transaction (assistant.notices): a hold's reminder, a waitlist's turn, a drop's result.

The apps below ask for these by actor name through `philia.jobs` and never import this module. The names are those
the actors had in inventory/tasks.py: jobs already waiting in Redis carry them.
"""

from datetime import datetime

import dramatiq
from django.conf import settings
from django.utils import timezone

from assistant import notices
from inventory import selectors as inventory_selectors
from inventory import services as inventory_services
from philia.queues import TIMERS_QUEUE
from tiktok.selectors import inbound_events_waiting, received_times

# How soon a drop item whose claims are still being handled looks again.
SETTLE_RECHECK_SECONDS = 0.25


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
