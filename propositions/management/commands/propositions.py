"""`manage.py propositions new-arrivals|evaluate|refit`: tell customers of new pieces in their size now, as the hourly
job does; print how the propositions do (on simulated interactions with `--simulate`); re-fit the weights now."""

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from assistant.arrivals import tell_new_arrivals
from philia.management.arguments import OneLineErrors
from propositions.evaluation import HELD_OUT_DAYS, replay, weekly_figures
from propositions.models import ModelPerformance
from propositions.refit import refit
from propositions.simulation import simulate


class Command(OneLineErrors):
    help = (
        'Propositions: `new-arrivals` queues today\'s "new in your size" message to each customer due one (consent '
        "given, not opted out, within the reply window, new pieces that fit their sizes) and prints how many; run "
        "twice the same day, it sends nothing more. `evaluate` prints the last 7 days' figures per reason and the "
        f"precision@3 of the scorer against the newest of the same category over the last {HELD_OUT_DAYS} days' "
        "asks for a gone piece; with --simulate it first replaces any simulated customers with new ones asking for "
        "the pieces in stock (seeded, --seed), then also re-fits the weights. `refit` re-fits the weights now, as the "
        "nightly job does. Exit 2 for wrong use."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION", help="What to do.")
        actions.add_parser("new-arrivals", help='Send "new in your size" messages now.')
        evaluate = actions.add_parser("evaluate", help="Print the week's figures and the replay's precision@3.")
        evaluate.add_argument("--simulate", action="store_true", help="Simulate customers on the stock first.")
        evaluate.add_argument("--seed", type=int, default=21, help="The simulation's random seed (21).")
        actions.add_parser("refit", help="Re-fit the scorer's weights now and print the attempt.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "new-arrivals":
            told = tell_new_arrivals()
            self.stdout.write(f"{told} customer(s) told of new pieces in their size.")
            return
        if options["action"] == "refit":
            self.print_refit(refit())
            return
        now = timezone.now()
        if options["simulate"]:
            try:
                done = simulate(seed=options["seed"], now=now)
            except ValueError as error:
                raise CommandError(str(error)) from error
            self.stdout.write(
                f"simulated (seed {options['seed']}): {done.customers} customers, {done.asks} asks for a gone piece, "
                f"{done.propositions} propositions, {done.taken} asks followed by a hold"
            )
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
        if options["simulate"]:
            self.print_refit(refit(now=now))

    def print_refit(self, row: ModelPerformance) -> None:
        self.stdout.write(
            f"re-fit: {row.sample_size} propositions trained on, {row.positives} held or bought. {row.note}"
        )
        if row.weights:
            names = list(row.current_weights)
            self.stdout.write("weights   " + " ".join(f"{name:>8}" for name in names))
            for label, weights in (("current", row.current_weights), ("fitted", row.weights)):
                self.stdout.write(f"{label:<9} " + " ".join(f"{weights[name]:>8.3f}" for name in names))
