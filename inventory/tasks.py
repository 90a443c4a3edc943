"""Work for the stock that runs itself: hold expiry and the scheduled sweeps behind holds and drops (run by
`manage.py crontab` + `rundramatiq` in production). The jobs that tell a customer — a hold's reminder, a
waitlist's turn, a drop's result — are the assistant's (assistant/tasks.py), sent by name from `inventory.jobs`."""

from datetime import datetime

import dramatiq
from django.utils import timezone
from dramatiq_crontab import cron

from inventory import selectors, services
from philia.queues import TIMERS_QUEUE


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
