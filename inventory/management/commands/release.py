"""`manage.py release SKU`: put a held item back on sale, as staff."""

from typing import Any

from django.core.management.base import CommandParser

from inventory.services import release_hold
from philia.management.arguments import OneLineErrors, add_sku


class Command(OneLineErrors):
    help = (
        "Release the hold on the item with this SKU (as staff, whoever holds it) so it is on sale again. "
        "Exit 0 when released; exit 1 with a one-line reason on stderr when the SKU is unknown "
        "or the item is not held."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_sku(parser)

    def handle(self, *args: Any, sku: str, **options: Any) -> None:
        item = release_hold(sku=sku)
        self.stdout.write(self.style.SUCCESS(f"Released {item.sku} ({item.name}); it is on sale again."))
