"""`manage.py replay_event ID`: handle a stored webhook event again (idempotent)."""

import time
from typing import Any

from django.core.management.base import CommandError, CommandParser

from conversations.models import Message
from philia.management.arguments import OneLineErrors, add_timeout, integer
from tiktok.models import WebhookEvent
from tiktok.services import replay_webhook_event


class Command(OneLineErrors):
    help = (
        "Put a stored TikTok webhook event back to 'received' for a worker to handle again, and wait for the "
        "outcome. Idempotent: a message already recorded or answered is not recorded or answered twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "event_id",
            type=integer(minimum=1, maximum=2**63 - 1),
            help="The stored event's id (admin: Webhook events).",
        )
        add_timeout(parser, waits_for="the outcome")

    def handle(self, *args: Any, **options: Any) -> None:
        event_id = options["event_id"]
        try:
            replay_webhook_event(event_id=event_id)
        except WebhookEvent.DoesNotExist:
            raise CommandError(f"No webhook event {event_id}.") from None
        event = self._wait(event_id=event_id, timeout=options["timeout"])
        self.stdout.write(f"event {event.pk} ({event.event}): {event.status}")
        for note in (event.outcome, event.last_error):
            if note:
                self.stdout.write(f"  {note}")
        if event.tiktok_message_id:
            for reply in Message.objects.filter(
                in_reply_to__tiktok_message_id=event.tiktok_message_id, direction=Message.Direction.OUTBOUND
            ):
                self.stdout.write(f"  reply {reply.pk} [{reply.state}]: {reply.text}")
        if event.status == WebhookEvent.Status.FAILED:
            raise CommandError(f"Event {event_id} failed again.")

    def _wait(self, *, event_id: int, timeout: float) -> WebhookEvent:
        deadline = time.monotonic() + timeout
        event = WebhookEvent.objects.get(pk=event_id)
        waiting = (WebhookEvent.Status.RECEIVED, WebhookEvent.Status.PROCESSING)
        while event.status in waiting and time.monotonic() < deadline:
            time.sleep(0.25)
            event.refresh_from_db()
        return event
