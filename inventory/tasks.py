"""Work for the stock that runs itself: hold expiry and reminders, waitlist turns, settling drops, and the
scheduled sweeps behind them (run by `manage.py crontab` + `rundramatiq` in production)."""

import logging
from datetime import datetime

import dramatiq
from django.conf import settings
from django.utils import timezone
from dramatiq_crontab import cron

from inventory import selectors, services
from philia.queues import TIMERS_QUEUE

logger = logging.getLogger(__name__)

# How soon a drop item whose claims are still being handled looks again.
SETTLE_RECHECK_SECONDS = 0.25


@dramatiq.actor(queue_name=TIMERS_QUEUE, max_retries=5, time_limit=60_000)
def expire_hold(item_id: int, held_until: str) -> None:
    """The hold's expiry, scheduled when it was taken. Does nothing unless the item is still held with
    exactly this expiry (released, renewed, extended or ordered holds are left alone)."""
    until = datetime.fromisoformat(held_until)
    now = timezone.now()
    if until > now:  # a broker that delivered early: come back on time
        expire_hold.send_with_options(args=(item_id, held_until), delay=int((until - now).total_seconds() * 1000) + 1)
        return
    services.expire_hold(item_id=item_id, held_until=until, now=now)


@dramatiq.actor(queue_name=TIMERS_QUEUE, max_retries=5, time_limit=60_000)
def remind_hold(item_id: int, held_until: str) -> None:
    """The one reminder of a hold, HOLD_REMINDER_HOURS before it runs out (idempotent)."""
    from assistant import notices

    notices.remind_hold(item_id=item_id, held_until=datetime.fromisoformat(held_until))


@dramatiq.actor(max_retries=5, time_limit=60_000)
def offer_to_waitlist(item_id: int) -> None:
    """A piece came free: the first reachable customer in its line gets it held (or is told). Idempotent."""
    from assistant import notices

    notices.offer_to_waitlist(item_id=item_id)


@dramatiq.actor(max_retries=5, time_limit=60_000)
def offer_waiting_pieces(customer_id: str) -> None:
    """The customer wrote again: the pieces they wait for that are free get their waitlist turn. Idempotent."""
    from assistant import notices

    notices.offer_waiting_pieces(customer_id=customer_id)


@dramatiq.actor(max_retries=20, min_backoff=200, max_backoff=5_000, time_limit=120_000)
def settle_drop_item(drop_item_id: int) -> None:
    """Settle a dropped piece once its settling window (counted from the first claim's webhook receipt) is
    over and every message the webhook received within it has been handled; until then, look again shortly.
    Idempotent: a settled drop item returns quietly, so a restart or a duplicate job changes nothing."""
    from assistant import notices
    from tiktok.selectors import inbound_events_waiting, received_times

    drop_item = selectors.drop_items_unsettled().filter(pk=drop_item_id).select_related("drop").first()
    if drop_item is None:
        return
    claims = list(selectors.drop_claims_in_order(drop_item_id=drop_item_id))
    received = received_times(tiktok_message_ids=[claim.tiktok_message_id for claim in claims])
    deadline = services.settling_deadline(
        drops_at=drop_item.drop.drops_at,
        received=[received.get(claim.tiktok_message_id, claim.created_at) for claim in claims],
    )
    now = timezone.now()
    if deadline is None:
        return
    if now < deadline:
        services.enqueue_drop_settlement(drop_item_id=drop_item_id, delay_seconds=(deadline - now).total_seconds())
        return
    overdue = (now - deadline).total_seconds() > settings.DROP_SETTLE_MAX_WAIT_SECONDS
    if not overdue and inbound_events_waiting(received_up_to=deadline):
        services.enqueue_drop_settlement(drop_item_id=drop_item_id, delay_seconds=SETTLE_RECHECK_SECONDS)
        return
    notices.settle_drop_item(drop_item_id=drop_item_id, received_at=received)


# A safety net, not the rule: every hold has its own expiry job, and reserve and search already treat a
# run-out hold as available.
@cron("*/5 * * * *")
@dramatiq.actor(max_retries=0, time_limit=60_000)
def sweep_expired_holds() -> None:
    """Put items whose hold ran out back on sale. Idempotent; the next run catches anything missed."""
    services.release_expired_holds()


@cron("* * * * *")
@dramatiq.actor(max_retries=0, time_limit=60_000)
def sweep_unsettled_drops() -> None:
    """Safety net: drop items whose settling job was lost (broker down, worker gone) get a new one."""
    for drop_item_id in selectors.drop_items_waiting_to_settle().values_list("pk", flat=True)[:100]:
        services.enqueue_drop_settlement(drop_item_id=drop_item_id, delay_seconds=0)
