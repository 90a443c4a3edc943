"""Work for propositions that runs itself (`manage.py crontab` + `rundramatiq` in production)."""

import dramatiq
from dramatiq_crontab import cron

from propositions import refit, services


@cron("17 3 * * *")
@dramatiq.actor(max_retries=0, time_limit=60_000)
def mark_ignored_propositions() -> None:
    """Propositions still only shown 7 days on become ignored. Idempotent; the next night catches anything missed."""
    services.mark_ignored()


@cron("37 3 * * *")
@dramatiq.actor(max_retries=0, time_limit=600_000)
def refit_weights() -> None:
    """Re-fit the scorer's weights from the outcomes and adopt them only when they do better on the last 2 weeks
    (`propositions.refit`); writes a `ModelPerformance` row either way. After `mark_ignored_propositions` (03:17), so
    last week's unanswered propositions count as ignored. No retry: the next night fits again from all the data."""
    refit.refit()
