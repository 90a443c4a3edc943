"""`manage.py release SKU`: put a held item back on sale, as staff."""

from typing import Any

from django.core.management.base import CommandError, CommandParser

from inventory.services import release_hold
from philia.errors import DomainError
from philia.management.arguments import OneLineErrors, text


class Command(OneLineErrors):
    help = (
        "Release the hold on the item with this SKU (as staff, whoever holds it) so it is on sale again. "
        "Exit 0 when released; exit 1 with a one-line reason on stderr when the SKU is unknown "
        "or the item is not held."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "sku", type=text(max_length=64), help="The item's SKU, e.g. VNT-NIKE-WB-001 (case-insensitive)."
        )

    def handle(self, *args: Any, sku: str, **options: Any) -> None:
        try:
            item = release_hold(sku=sku)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Released {item.sku} ({item.name}); it is on sale again."))
