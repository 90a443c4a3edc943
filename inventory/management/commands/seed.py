"""`manage.py seed`: put the demo stock in the shop (idempotent); `--clear` empties the shop first."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.db.models import ProtectedError, QuerySet

from conversations.models import Customer, Message
from inventory.models import Item
from inventory.seed_data import SEED_ITEMS
from inventory.services import add_items
from orders.models import Offer, Order
from tiktok.models import WebhookEvent


def shop_data() -> list[tuple[str, QuerySet[Any]]]:
    """Everything `--clear` deletes, in an order the foreign keys (PROTECT) allow."""
    return [
        ("orders", Order.objects.all()),
        ("offers", Offer.objects.all()),
        ("items", Item.objects.all()),
        ("messages", Message.objects.all()),
        ("customers", Customer.objects.all()),
        ("webhook events", WebhookEvent.objects.all()),
    ]


class Command(BaseCommand):
    help = (
        "Put the demo stock in the shop: at least a dozen one-of-a-kind vintage items (Nike, Carhartt, "
        "Levi's, Adidas, Patagonia, ...), on sale. Idempotent: items whose SKU is already in stock are left "
        "exactly as they are (held, sold or edited), so a second run adds and changes nothing. With --clear "
        "it first deletes all shop data (orders, offers, items, messages, customers, webhook events) after "
        "asking for confirmation; --no-input skips the question. Staff accounts are kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--clear",
            action="store_true",
            help="Delete all orders, offers, items, messages, customers and webhook events, then seed.",
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
                f"This deletes ALL orders, offers, items, messages, customers and webhook events in {database}.\n"
                "Type 'yes' to continue, or anything else to cancel: "
            )
        except EOFError:
            return False
        return answer.strip().lower() == "yes"

    def clear(self) -> None:
        deleted = []
        try:
            with transaction.atomic():
                if connection.vendor == "postgresql":
                    # Orders' history is append-only (a trigger refuses DELETE); emptying the whole shop is the exception.
                    with connection.cursor() as cursor:
                        cursor.execute("SET LOCAL philia.clearing_shop = 'on'")
                for label, queryset in shop_data():
                    _, per_model = queryset.delete()
                    deleted.append(f"{per_model.get(queryset.model._meta.label, 0)} {label}")
        except ProtectedError as exc:
            raise CommandError(f"Nothing deleted: other rows still refer to shop data ({exc.args[0]})") from exc
        self.stdout.write(f"Deleted {', '.join(deleted)}.")
