"""`manage.py requeue_stale_events`: the sweeps, by hand — re-enqueue lost event and send jobs, retry due failures."""

from datetime import timedelta
from typing import Any

from django.core.management.base import CommandParser

from conversations.outbox_sweep import requeue_stale_outbox
from philia.inbox import requeue_stale_events
from philia.management.arguments import OneLineErrors, integer

# Ten years: anything older than that cannot be waiting (and far larger ages overflow the clock).
MAX_AGE_SECONDS = 10 * 365 * 24 * 3600


class Command(OneLineErrors):
    help = (
        "Re-enqueue webhook events (TikTok's and Stripe's) still 'received' or 'processing' after --older-than "
        "seconds (default TIKTOK_STALE_EVENT_SECONDS and STRIPE_STALE_EVENT_SECONDS), failed ones whose next try is "
        "due, and queued outbound messages whose job was lost. Safe to run any time: handling is idempotent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=integer(minimum=0, maximum=MAX_AGE_SECONDS),
            default=None,
            help=f"Seconds an event has waited (0 to {MAX_AGE_SECONDS}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        older_than = timedelta(seconds=options["older_than"]) if options["older_than"] is not None else None
        events = requeue_stale_events(older_than=older_than)
        messages = requeue_stale_outbox()
        self.stdout.write(f"Re-enqueued {events} event(s) and {messages} outbound message(s).")
