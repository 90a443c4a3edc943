"""`manage.py expire_holds`: the sweep that puts items whose hold ran out back on sale."""

from typing import Any

from inventory.services import release_expired_holds
from philia.management.arguments import OneLineErrors


class Command(OneLineErrors):
    help = (
        "Put every item whose hold has run out back on sale and print how many. Safe to run at any time "
        "and as often as you like; the worker also runs it on a schedule."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        released = release_expired_holds()
        self.stdout.write(self.style.SUCCESS(f"Released {released} expired hold(s)."))
