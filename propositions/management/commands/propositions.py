"""`manage.py propositions new-arrivals`: tell customers of new pieces in their size now, as the hourly job does."""

from typing import Any

from django.core.management.base import CommandParser

from assistant.arrivals import tell_new_arrivals
from philia.management.arguments import OneLineErrors


class Command(OneLineErrors):
    help = (
        'Propositions: `new-arrivals` queues today\'s "new in your size" message to each customer due one (consent '
        "given, not opted out, within the reply window, new pieces that fit their sizes) and prints how many; run "
        "twice the same day, it sends nothing more. Exit 2 for wrong use."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION", help="What to do.")
        actions.add_parser("new-arrivals", help='Send "new in your size" messages now.')

    def handle(self, *args: Any, **options: Any) -> None:
        told = tell_new_arrivals()
        self.stdout.write(f"{told} customer(s) told of new pieces in their size.")
