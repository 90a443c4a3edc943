"""Scheduled work for the stock (run by `manage.py crontab` + `rundramatiq` in production)."""

import dramatiq
from dramatiq_crontab import cron

from inventory.services import release_expired_holds


# A safety net, not the rule: reserve and search already treat a run-out hold as available.
@cron("*/5 * * * *")
@dramatiq.actor(max_retries=0, time_limit=60_000)
def sweep_expired_holds() -> None:
    """Put items whose hold ran out back on sale. Idempotent; the next run catches anything missed."""
    release_expired_holds()
