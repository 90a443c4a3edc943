"""The worker that tells the owner."""

from typing import Any

import dramatiq

from notifications.services import Later, deliver_notifications, give_up_delivering
from philia import jobs


@dramatiq.actor(max_retries=0, time_limit=30_000)
def give_up_notification(message_data: dict[str, Any], retry_info: dict[str, Any]) -> None:
    """send_notification ran out of retries: its pending rows are marked failed."""
    give_up_delivering(notification_id=message_data["args"][0])


# Backoff from 1 s doubling to 5 minutes: 6 retries cover roughly 10 minutes of a mail server or push endpoint down.
@dramatiq.actor(
    max_retries=6,
    min_backoff=1_000,
    max_backoff=300_000,
    time_limit=45_000,
    on_retry_exhausted=give_up_notification.actor_name,
)
def send_notification(notification_id: int) -> None:
    """Deliver a notification (and the others of its kind waiting with it). A digest window still open
    re-enqueues it for when it closes, without spending a retry; a failed email or push
    (`NotificationNotDelivered`) is retried with backoff."""
    outcome = deliver_notifications(notification_id=notification_id)
    if isinstance(outcome, Later):
        jobs.enqueue(
            "send_notification",
            notification_id,
            delay_ms=int(outcome.seconds * 1000) + 50,
            unless_sent="it stays pending in the admin",
        )
