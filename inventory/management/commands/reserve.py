"""`manage.py reserve SKU --customer ID`: hold an item for a customer, as the assistant would."""

from typing import Any

from django.core.management.base import CommandParser
from django.db import transaction
from django.utils import timezone

from conversations.services import get_or_create_customer
from inventory.services import MAX_HOLD_HOURS, reserve_item
from philia.management.arguments import OneLineErrors, add_sku, hours, text


class Command(OneLineErrors):
    help = (
        "Hold the item with this SKU for a customer (their TikTok user id; the customer is created if new) "
        "for --hours hours (default HOLD_HOURS). Holding an item the customer already holds extends the hold. "
        "Exit 0 and print the hold's expiry; exit 1 with a one-line reason on stderr when the SKU is unknown, "
        "the item is held by someone else (until when), sold or hidden, or the customer holds the most "
        "items allowed (MAX_HOLDS_PER_CUSTOMER)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_sku(parser)
        parser.add_argument(
            "--customer",
            required=True,
            type=text(),
            metavar="TIKTOK_USER_ID",
            help="The customer's TikTok user id (one line, no tabs).",
        )
        parser.add_argument(
            "--hours",
            type=hours(maximum=MAX_HOLD_HOURS),
            default=None,
            help="How long to hold it, in hours; decimals allowed, e.g. 0.5 (default: the HOLD_HOURS setting).",
        )

    def handle(self, *args: Any, sku: str, customer: str, hours: float | None, **options: Any) -> None:
        # One transaction, so a refused hold does not leave a new customer behind.
        with transaction.atomic():
            holder = get_or_create_customer(tiktok_user_id=customer)
            item = reserve_item(sku=sku, customer=holder, hours=hours)
        until = timezone.localtime(item.held_until)
        self.stdout.write(
            self.style.SUCCESS(
                f"Held {item.sku} ({item.name}, ${item.price}) for {holder} until {until:%Y-%m-%d %H:%M %Z}."
            )
        )
