"""`manage.py replay_event ID`: handle a stored webhook event again (idempotent)."""

import time
from typing import Any

import dramatiq
from django.core.management.base import BaseCommand, CommandError, CommandParser
from dramatiq.brokers.stub import StubBroker

from conversations.models import Message
from tiktok.models import WebhookEvent
from tiktok.services import replay_webhook_event


class Command(BaseCommand):
    help = (
        "Put a stored TikTok webhook event back to 'received' and handle it again. Idempotent: a message "
        "already recorded or answered is not recorded or answered twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("event_id", type=int)
        parser.add_argument("--timeout", type=float, default=60.0, help="Seconds to wait for the outcome.")

    def handle(self, *args: Any, **options: Any) -> None:
        event_id = options["event_id"]
        try:
            replay_webhook_event(event_id=event_id)
        except WebhookEvent.DoesNotExist:
            raise CommandError(f"No webhook event {event_id}.") from None
        broker = dramatiq.get_broker()
        if isinstance(broker, StubBroker):
            # The embedded in-memory broker is per process: run its worker here until the job is done.
            from philia.management.commands.runserver import start_embedded_worker

            worker = start_embedded_worker(broker=broker)
            try:
                for queue_name in list(broker.queues):
                    broker.join(queue_name, timeout=int(options["timeout"] * 1000))
                worker.join()
            finally:
                worker.stop()
        event = self._wait(event_id=event_id, timeout=options["timeout"])
        self.stdout.write(f"event {event.pk} ({event.event}): {event.status}")
        if event.last_error:
            self.stdout.write(f"  {event.last_error}")
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
        while event.status == WebhookEvent.Status.RECEIVED and time.monotonic() < deadline:
            time.sleep(0.25)
            event.refresh_from_db()
        return event
