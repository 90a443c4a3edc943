"""Workers for the TikTok channel: keep the token fresh. An event's handling puts the channel, the conversations and
the assistant together, so its actor (`handle_event`, named by `WebhookEvent.inbox_actor`) is the assistant's
(assistant/tasks.py); the sweep for lost and failed events of every inbox is `philia.tasks.requeue_stale_events_job`."""

import dramatiq
from dramatiq_crontab import cron

from tiktok.credentials import refresh_access_token_if_expiring


@cron("*/15 * * * *")
@dramatiq.actor(max_retries=0, time_limit=60_000)
def refresh_tiktok_token() -> None:
    """Refresh the stored access token before it expires (TikTok's last about 24 hours)."""
    refresh_access_token_if_expiring()
