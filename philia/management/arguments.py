"""What the shop's commands accept on their command line, checked before anything runs, and bad arguments
reported on one line.

Arguments from a terminal may carry anything: bytes that are not UTF-8 (Python hands them over as lone
surrogates, which no database can store), newlines, numbers no clock can hold. Each `type=` below refuses
those with a one-line reason, so a command never gets as far as a traceback or a half-done write.
"""

import argparse
import math
import re
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser

from philia.errors import DomainError

_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_EXCEPT_LINES = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")


class OneLineErrors(BaseCommand):
    """A command whose bad arguments print one line on stderr (`manage.py reserve: error: …`) and exit 2,
    instead of argparse's usage block; `--help` still shows the usage. A rule that says no (a `DomainError`)
    is a `CommandError`: its reason on one line of stderr, exit 1."""

    def execute(self, *args: Any, **options: Any) -> str | None:
        try:
            return super().execute(*args, **options)
        except DomainError as error:
            raise CommandError(str(error)) from error

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)

        def error(message: str) -> NoReturn:
            if not parser.called_from_command_line:
                raise CommandError(f"Error: {message}")
            sys.stderr.write(f"{parser.prog}: error: {' '.join(message.split())} (see --help)\n")
            sys.exit(2)

        parser.error = error  # type: ignore[method-assign]
        return parser


def text(*, max_length: int | None = None, single_line: bool = True) -> Callable[[str], str]:
    """Non-blank text, valid UTF-8, without control characters (newlines allowed when not `single_line`), of
    at most `max_length` characters when given (else the service judges the length). Surrounding spaces are
    dropped."""

    def parse(value: str) -> str:
        if _SURROGATE.search(value):
            raise argparse.ArgumentTypeError("contains bytes that are not valid UTF-8")
        control = _CONTROL if single_line else _CONTROL_EXCEPT_LINES
        if control.search(value):
            kind = "control characters (newline, tab, …)" if single_line else "control characters"
            raise argparse.ArgumentTypeError(f"contains {kind}")
        value = value.strip()
        if not value:
            raise argparse.ArgumentTypeError("is empty")
        if max_length is not None and len(value) > max_length:
            raise argparse.ArgumentTypeError(f"is longer than {max_length} characters")
        return value

    parse.__name__ = "text"
    return parse


def integer(*, minimum: int, maximum: int) -> Callable[[str], int]:
    """A whole number from `minimum` to `maximum`."""

    def parse(value: str) -> int:
        value = value.strip()
        if not re.fullmatch(r"[+-]?[0-9]{1,20}", value):
            raise argparse.ArgumentTypeError(f"must be a whole number from {minimum} to {maximum}")
        number = int(value)
        if not minimum <= number <= maximum:
            raise argparse.ArgumentTypeError(f"must be a whole number from {minimum} to {maximum}")
        return number

    parse.__name__ = "integer"
    return parse


def quantity(unit: str, *, minimum: float, maximum: float) -> Callable[[str], float]:
    """A finite number of `unit` (seconds, hours) from `minimum` (exclusive when it is 0) to `maximum`."""

    def parse(value: str) -> float:
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        positive = minimum == 0
        if not math.isfinite(number) or number > maximum or number < minimum or (positive and number == 0):
            bound = "more than 0" if positive else f"at least {minimum:g}"
            raise argparse.ArgumentTypeError(f"must be a number of {unit}, {bound} and at most {maximum:g}")
        return number

    parse.__name__ = unit
    return parse


def seconds(*, minimum: float, maximum: float) -> Callable[[str], float]:
    return quantity("seconds", minimum=minimum, maximum=maximum)


def hours(*, maximum: float) -> Callable[[str], float]:
    """More than 0 hours, decimals allowed (0.5 is half an hour), at most `maximum`."""
    return quantity("hours", minimum=0, maximum=maximum)


def add_sku(parser: CommandParser) -> None:
    """The positional `sku` of a command about one item."""
    parser.add_argument(
        "sku", type=text(max_length=64), help="The item's SKU, e.g. VNT-NIKE-WB-001 (case-insensitive)."
    )


def add_timeout(parser: CommandParser, *, waits_for: str) -> None:
    """`--timeout`: the seconds a command waits for `waits_for` (default 60, at most an hour)."""
    parser.add_argument(
        "--timeout",
        type=seconds(minimum=0, maximum=3600),
        default=60.0,
        help=f"Seconds to wait for {waits_for} (over 0, at most 3600).",
    )
