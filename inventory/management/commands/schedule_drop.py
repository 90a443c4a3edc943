"""`manage.py schedule_drop --at ISO [--name NAME] SKU [SKU ...]`: put pieces in a drop."""

from datetime import datetime
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from inventory.services import schedule_drop
from philia.management.arguments import OneLineErrors, text


class Command(OneLineErrors):
    help = (
        "Schedule a drop: the pieces with these SKUs are on nobody's listings and cannot be held before --at; "
        "from then on they go to whoever wrote first. Prints the drop and its items. Exit 1 with a one-line "
        "reason on stderr for an unknown, held, sold or hidden SKU, a SKU already in another upcoming drop, "
        "or a time that is not in the future."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--at",
            required=True,
            type=text(max_length=64),
            metavar="ISO",
            help="When the drop goes live, ISO 8601 with its time zone, e.g. 2026-12-24T19:00:00+00:00.",
        )
        parser.add_argument(
            "--name", default=None, type=text(max_length=120), help='The drop\'s name (default: "Drop <date time>").'
        )
        parser.add_argument(
            "skus", nargs="+", type=text(max_length=64), metavar="SKU", help="The SKUs of the pieces in the drop."
        )

    def handle(self, *args: Any, at: str, name: str | None, skus: list[str], **options: Any) -> None:
        try:
            drops_at = datetime.fromisoformat(at.strip())
        except ValueError as exc:
            raise CommandError(f"--at {at!r} is not an ISO 8601 time, e.g. 2026-12-24T19:00:00+00:00.") from exc
        drop = schedule_drop(drops_at=drops_at, skus=skus, name=name or "")
        local = timezone.localtime(drop.drops_at)
        self.stdout.write(
            self.style.SUCCESS(f"Scheduled {drop.name!r} for {local:%Y-%m-%d %H:%M %Z} (drop {drop.pk}):")
        )
        for drop_item in drop.drop_items.select_related("item").order_by("item__sku"):
            item = drop_item.item
            self.stdout.write(f"  {item.sku} · {item.name} · ${item.price}")
