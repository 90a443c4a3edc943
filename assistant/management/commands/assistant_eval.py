"""`manage.py assistant_eval`: the offline assistant's own evaluation, on a scratch database."""

import argparse
import logging
import time
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from assistant.evaluation.cases import CASES_DIRECTORY, KINDS, Case, CaseError, load_cases
from assistant.evaluation.catalogue import catalogue_skus, load_catalogue, read_catalogue
from assistant.evaluation.report import accuracy_table, failure_details, held_back_note, overall
from assistant.evaluation.runner import Outcome, run_cases
from assistant.evaluation.scratch import scratch_database
from philia.management.arguments import OneLineErrors, text


def percent(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0 <= number <= 100:
        raise argparse.ArgumentTypeError("must be a percent from 0 to 100")
    return number


class Command(OneLineErrors):
    help = (
        "Run the offline assistant's evaluation: realistic customer DMs and short exchanges (assistant/evaluation/"
        "cases/*.toml), each answered as production answers it and judged against the database and the reply. "
        "Runs on a scratch database of its own (created, migrated, loaded with the evaluation's catalogue, dropped "
        "after), each case in a transaction rolled back afterwards; nothing is sent to TikTok or the worker. Prints "
        "accuracy per kind and overall. Exit 1 with one line on stderr for a bad case file, an unknown --kind, or "
        "an accuracy below --min-accuracy. See docs/assistant-evaluation.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--kind",
            action="append",
            type=text(max_length=40),
            metavar="KIND",
            help=f"Run only the cases of this kind (repeat for several): {', '.join(KINDS)}. Default: every kind.",
        )
        parser.add_argument(
            "--verbose",
            action="store_true",
            help="Print each failing case: its messages, what it expected, what happened and the reply.",
        )
        parser.add_argument(
            "--min-accuracy",
            type=percent,
            default=None,
            metavar="PERCENT",
            help="Exit 1 when the overall accuracy is below this percent (0 to 100). Default: exit 0 whatever it is.",
        )
        parser.add_argument(
            "--cases",
            action="append",
            type=Path,
            metavar="PATH",
            help="A case file or a folder of them (repeat for several). Default: assistant/evaluation/cases.",
        )

    def handle(
        self,
        *args: Any,
        kind: list[str] | None,
        verbose: bool,
        min_accuracy: float | None,
        cases: list[Path] | None,
        **options: Any,
    ) -> None:
        selected = self._selected_cases(cases or [CASES_DIRECTORY], kind)
        started = time.monotonic()
        logging.disable(logging.INFO)  # the shop's own log lines of every hold and order would bury the results
        try:
            with scratch_database():
                load_catalogue(read_catalogue())
                outcomes = run_cases(selected)
        except CaseError as error:
            raise CommandError(str(error)) from error
        finally:
            logging.disable(logging.NOTSET)
        self._report(outcomes, verbose=verbose, seconds=time.monotonic() - started)
        score = overall(outcomes)
        if min_accuracy is not None and score.accuracy < min_accuracy:
            raise CommandError(f"overall accuracy {score.accuracy:.1f} % is below --min-accuracy {min_accuracy:g} %")

    def _selected_cases(self, paths: list[Path], kinds: list[str] | None) -> list[Case]:
        """The cases to run, read and checked before any database is made."""
        unknown = [each for each in kinds or [] if each not in KINDS]
        if unknown:
            raise CommandError(f"unknown --kind {unknown[0]!r}; the kinds are: {', '.join(KINDS)}")
        try:
            cases = load_cases(paths, catalogue=catalogue_skus(read_catalogue()))
        except CaseError as error:
            raise CommandError(str(error)) from error
        selected = [case for case in cases if not kinds or case.kind in kinds]
        if not selected:
            raise CommandError(f"no cases of kind {', '.join(kinds or [])} in {', '.join(map(str, paths))}")
        return selected

    def _report(self, outcomes: list[Outcome], *, verbose: bool, seconds: float) -> None:
        if verbose:
            for outcome in outcomes:
                if not outcome.passed:
                    self.stdout.write(failure_details(outcome) + "\n")
        self.stdout.write(f"Ran {len(outcomes)} cases in {seconds:.1f} s.\n")
        self.stdout.write(accuracy_table(outcomes))
        note = held_back_note(outcomes)
        if note:
            self.stdout.write(note)
