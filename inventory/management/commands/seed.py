"""`manage.py seed`: put the demo stock in the shop (idempotent); `--clear` empties the shop first."""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser
from django.db import connection, transaction
from django.db.models import ProtectedError

from assistant.services import clear_tool_calls
from conversations.services import clear_conversations
from inventory.seed_data import SEED_ITEMS
from inventory.services import add_items, clear_stock
from live.services import clear_streams
from orders.services import clear_orders
from philia.management.arguments import OneLineErrors
from tiktok.services import clear_webhook_events

# What `--clear` asks each app to delete, from the top layer down (see docs/development.md, "How the apps fit
# together"): rows of an upper app refer to a lower one's (PROTECT), never the other way round.
CLEARS: tuple[Callable[[], dict[str, int]], ...] = (
    clear_tool_calls,
    clear_streams,
    clear_orders,
    clear_stock,
    clear_conversations,
    clear_webhook_events,
)


class Command(OneLineErrors):
    help = (
        "Put the demo stock in the shop: at least a dozen one-of-a-kind vintage items (Nike, Carhartt, "
        "Levi's, Adidas, Patagonia, ...), on sale. Idempotent: items whose SKU is already in stock are left "
        "exactly as they are (held, sold or edited), so a second run adds and changes nothing. With --clear "
        "it first deletes all shop data (the assistant's tool calls, live streams, orders, offers, Stripe events, items, messages, "
        "customers, webhook events; each app deletes its own) after asking for confirmation; --no-input skips the "
        "question. Staff accounts and TikTok credentials are kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--clear",
            action="store_true",
            help=(
                "Delete all tool calls, orders, offers, Stripe events, items, messages, customers and webhook "
                "events, then seed."
            ),
        )
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="With --clear: do not ask for confirmation.",
        )

    def handle(self, *args: Any, clear: bool, interactive: bool, **options: Any) -> None:
        if clear:
            if interactive and not self.confirm_clear():
                raise CommandError("Nothing deleted: --clear was not confirmed.")
            self.clear()
        try:
            created = add_items(items=SEED_ITEMS)
        except ValidationError as exc:
            raise CommandError(f"Seed data is invalid, nothing added: {'; '.join(exc.messages)}") from exc
        for item in created:
            self.stdout.write(f"  added {item.sku} · {item.name} · {item.size_label} · ${item.price}")
        kept = len(SEED_ITEMS) - len(created)
        self.stdout.write(
            self.style.SUCCESS(f"Seeded {len(created)} new item(s); {kept} already in stock, left as they are.")
        )

    def confirm_clear(self) -> bool:
        database = connection.settings_dict["NAME"]
        try:
            answer = input(
                "This deletes ALL tool calls, orders, offers, Stripe events, items, messages, customers and "
                f"webhook events in {database}.\n"
                "Type 'yes' to continue, or anything else to cancel: "
            )
        except EOFError:
            return False
        return answer.strip().lower() == "yes"

    def clear(self) -> None:
        deleted: dict[str, int] = {}
        try:
            # One transaction around every app's clear: all of the shop's data goes, or none of it.
            with transaction.atomic():
                for clear in CLEARS:
                    deleted.update(clear())
        except ProtectedError as exc:
            raise CommandError(f"Nothing deleted: other rows still refer to shop data ({exc.args[0]})") from exc
        self.stdout.write(f"Deleted {', '.join(f'{count} {label}' for label, count in deleted.items())}.")
