"""`manage.py propositions new-arrivals|evaluate`: tell customers of new pieces in their size now, as the hourly job
does; print how the propositions do."""

from typing import Any

from django.core.management.base import CommandParser
from django.utils import timezone

from assistant.arrivals import tell_new_arrivals
from philia.management.arguments import OneLineErrors
from propositions.evaluation import HELD_OUT_DAYS, replay, weekly_figures


class Command(OneLineErrors):
    help = (
        'Propositions: `new-arrivals` queues today\'s "new in your size" message to each customer due one (consent '
        "given, not opted out, within the reply window, new pieces that fit their sizes) and prints how many; run "
        "twice the same day, it sends nothing more. `evaluate` prints the last 7 days' figures per reason and the "
        f"precision@3 of the scorer against the newest of the same category over the last {HELD_OUT_DAYS} days' "
        "asks for a gone piece. Exit 2 for wrong use."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION", help="What to do.")
        actions.add_parser("new-arrivals", help='Send "new in your size" messages now.')
        actions.add_parser("evaluate", help="Print the week's figures and the replay's precision@3.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "new-arrivals":
            told = tell_new_arrivals()
            self.stdout.write(f"{told} customer(s) told of new pieces in their size.")
            return
        now = timezone.now()
        self.stdout.write("last 7 days      shown  asked   held bought   rate")
        for row in weekly_figures(now=now):
            self.stdout.write(
                f"{row.reason:<14} {row.shown:>7} {row.asked:>6} {row.held:>6} {row.bought:>6} {row.rate:>6.1%}"
            )
        result = replay(now=now)
        self.stdout.write(
            f"replay, last {HELD_OUT_DAYS} days: {result.asks} asks for a gone piece followed by another piece held "
            f"or bought; precision@3 scorer {result.scorer:.3f}, newest of the same category {result.baseline:.3f}"
        )
