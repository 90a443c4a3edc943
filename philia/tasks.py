"""The worker side of what philia shares: the one sweep over every inbox."""

import dramatiq
from dramatiq_crontab import cron

from philia.inbox import requeue_stale_events
from philia.sweeps import record_sweep


@cron("* * * * *")
@dramatiq.actor(max_retries=0, time_limit=60_000)
def requeue_stale_events_job() -> None:
    """Safety net for every inbox (TikTok's and Stripe's events): those whose job was lost (Redis away at intake, a
    worker gone) get a new one, and failed ones whose next try is due are tried again."""
    requeue_stale_events()
    record_sweep("requeue_stale_events_job")
