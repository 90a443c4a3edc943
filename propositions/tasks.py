"""Work for propositions that runs itself (`manage.py crontab` + `rundramatiq` in production)."""

import dramatiq
from dramatiq_crontab import cron

from propositions import services


@cron("17 3 * * *")
@dramatiq.actor(max_retries=0, time_limit=60_000)
def mark_ignored_propositions() -> None:
    """Propositions still only shown 7 days on become ignored. Idempotent; the next night catches anything missed."""
    services.mark_ignored()
