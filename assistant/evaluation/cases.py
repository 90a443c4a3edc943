"""The evaluation's cases: read from TOML (cases/*.toml), checked, and turned into `Case`s.

A case file is a list of `[[case]]` tables; docs/assistant-evaluation.md describes every field. Anything a case
says that the judge could not use — an unknown field or kind, a SKU that is not in the evaluation's catalogue, a
regular expression that does not compile, a case that expects nothing — is a `CaseError` naming the file and the
case, so a mistake in the data is never read as a result.
"""

import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

CASES_DIRECTORY = Path(__file__).with_name("cases")

# The kinds of case, in the order the accuracy is printed: the six of issue 25, then the everyday ones.
KINDS: dict[str, str] = {
    "reference": "pieces named by name, brand, colour or category: in or out of the listing, held, sold, hidden",
    "intent": "questions about holds, orders, prices and sizes: answered, never acted on",
    "follow_up": "short follow-ups that continue the previous turn and its listing",
    "condition": "a request with a condition on price: an offer under the owner's rules, or a plain refusal",
    "relative": "cheaper / dearer / bigger / smaller / longer / same-but-in-SIZE than a named or shown piece",
    "misspelling": "misspelt garments, brands, sizes and colours",
    "search": "searches by brand, size, kind, price",
    "sku": "pieces named by SKU",
    "faq": "the shop's usual questions: shipping, returns, paying, sizing, authenticity",
    "smalltalk": "greetings, thanks, reactions, asking for a person",
    "several": "several asks in one message, or in one burst of bubbles",
    "stop": "STOP and START",
}
ORDER_STATUSES = ("pending", "paid", "shipped")
OFFER_STATUSES = ("pending", "countered", "accepted", "declined")


class CaseError(Exception):
    """A case file the evaluation cannot use; the message names the file and the case."""


@dataclass(frozen=True)
class GivenOrder:
    skus: tuple[str, ...]
    status: str


@dataclass(frozen=True)
class ExpectedOffer:
    sku: str
    amount: Decimal
    status: str | None = None


@dataclass(frozen=True)
class Given:
    """The state a case starts from, set up in this order: hidden, sold (to another customer), the customer's
    orders, pieces held by another customer, the customer's holds, then the earlier turns, answered in order."""

    hidden: tuple[str, ...] = ()
    sold: tuple[str, ...] = ()
    orders: tuple[GivenOrder, ...] = ()
    held_by_others: tuple[str, ...] = ()
    holds: tuple[str, ...] = ()
    turns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Expect:
    """What must be true once the case's messages are answered (None / empty: not judged)."""

    held: tuple[str, ...] | None = None
    held_includes: tuple[str, ...] = ()
    not_held: tuple[str, ...] = ()
    released: tuple[str, ...] = ()
    ordered: tuple[str, ...] | None = None
    offer: ExpectedOffer | None = None
    unchanged: bool = False
    waitlisted: tuple[str, ...] = ()
    handed_off: bool | None = None
    opted_out: bool | None = None
    silent: bool = False
    listed: tuple[str, ...] = ()
    listed_first: str | None = None
    listed_any: tuple[str, ...] = ()
    listed_only: tuple[str, ...] | None = None
    not_listed: tuple[str, ...] = ()
    said: tuple[re.Pattern[str], ...] = ()
    not_said: tuple[re.Pattern[str], ...] = ()

    def skus(self) -> set[str]:
        named = [*self.held_includes, *self.not_held, *self.released, *self.waitlisted]
        named += [*self.listed, *self.listed_any, *self.not_listed, *(self.held or ()), *(self.ordered or ())]
        named += [*(self.listed_only or ()), *([self.listed_first] if self.listed_first else [])]
        return set(named) | ({self.offer.sku} if self.offer else set())


@dataclass(frozen=True)
class Case:
    id: str
    kind: str
    messages: tuple[str, ...]
    expect: Expect
    given: Given = field(default_factory=Given)
    why: str = ""
    source: str = ""


Reader = Callable[[Any, str], Any]


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CaseError(f"{where} must be text, not {value!r}")
    return value


def _texts(value: Any, where: str) -> tuple[str, ...]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values:
        raise CaseError(f"{where} must be a text or a non-empty list of texts, not {value!r}")
    return tuple(_text(each, where) for each in values)


def _sku(value: Any, where: str) -> str:
    return _text(value, where).strip().upper()


def _skus(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise CaseError(f"{where} must be a list of SKUs, not {value!r}")
    return tuple(_sku(each, where) for each in value)


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise CaseError(f"{where} must be true or false, not {value!r}")
    return value


def _patterns(value: Any, where: str) -> tuple[re.Pattern[str], ...]:
    patterns = []
    for each in _texts(value, where):
        try:
            patterns.append(re.compile(each, re.IGNORECASE))
        except re.error as error:
            raise CaseError(f"{where}: {each!r} is not a regular expression ({error})") from None
    return tuple(patterns)


def _amount(value: Any, where: str) -> Decimal:
    try:
        amount = Decimal(str(value)) if isinstance(value, int | float | str) and not isinstance(value, bool) else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount <= 0:
        raise CaseError(f"{where} must be an amount of dollars, not {value!r}")
    return amount


def _choice(choices: Iterable[str]) -> Reader:
    allowed = tuple(choices)

    def read(value: Any, where: str) -> str:
        if value not in allowed:
            raise CaseError(f"{where} must be one of {', '.join(allowed)}, not {value!r}")
        return str(value)

    return read


def _table(value: Any, where: str, readers: dict[str, Reader], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """The fields of a TOML table, each read by its reader; unknown or missing fields are errors."""
    if not isinstance(value, dict):
        raise CaseError(f"{where} must be a table, not {value!r}")
    unknown = sorted(set(value) - set(readers))
    if unknown:
        raise CaseError(f"{where}: unknown field {unknown[0]!r} (known: {', '.join(readers)})")
    missing = [name for name in required if name not in value]
    if missing:
        raise CaseError(f"{where}: {missing[0]!r} is missing")
    return {name: readers[name](item, f"{where}.{name}") for name, item in value.items()}


def _order(value: Any, where: str) -> GivenOrder:
    fields = _table(value, where, {"skus": _skus, "status": _choice(ORDER_STATUSES)}, required=("skus",))
    return GivenOrder(skus=fields["skus"], status=fields.get("status", "pending"))


def _orders(value: Any, where: str) -> tuple[GivenOrder, ...]:
    if not isinstance(value, list):
        raise CaseError(f"{where} must be a list of orders, not {value!r}")
    return tuple(_order(each, f"{where}[{number}]") for number, each in enumerate(value))


def _offer(value: Any, where: str) -> ExpectedOffer:
    readers = {"sku": _sku, "amount": _amount, "status": _choice(OFFER_STATUSES)}
    return ExpectedOffer(**_table(value, where, readers, required=("sku", "amount")))


GIVEN_READERS: dict[str, Reader] = {
    "hidden": _skus,
    "sold": _skus,
    "orders": _orders,
    "held_by_others": _skus,
    "holds": _skus,
    "turns": _texts,
}
EXPECT_READERS: dict[str, Reader] = {
    "held": _skus,
    "held_includes": _skus,
    "not_held": _skus,
    "released": _skus,
    "ordered": _skus,
    "offer": _offer,
    "unchanged": _flag,
    "waitlisted": _skus,
    "handed_off": _flag,
    "opted_out": _flag,
    "silent": _flag,
    "listed": _skus,
    "listed_first": _sku,
    "listed_any": _skus,
    "listed_only": _skus,
    "not_listed": _skus,
    "said": _patterns,
    "not_said": _patterns,
}
CASE_READERS: dict[str, Reader] = {
    "id": _text,
    "kind": _choice(KINDS),
    "messages": _texts,
    "given": lambda value, where: Given(**_table(value, where, GIVEN_READERS)),
    "expect": lambda value, where: Expect(**_table(value, where, EXPECT_READERS)),
    "why": _text,
}


def read_case(value: Any, *, where: str, catalogue: set[str]) -> Case:
    """One `[[case]]` table as a `Case`, every SKU it names checked against the catalogue's."""
    case_id = value.get("id") if isinstance(value, dict) else None
    if isinstance(case_id, str):
        where = f"{where.rsplit(':', 1)[0]}: case {case_id!r}"
    case = Case(**_table(value, where, CASE_READERS, required=("id", "kind", "messages", "expect")))
    if case.expect == Expect():
        raise CaseError(f"{where}: 'expect' judges nothing (give it at least one field)")
    given = case.given
    named = {*given.hidden, *given.sold, *given.held_by_others, *given.holds, *case.expect.skus()}
    named |= {sku for order in given.orders for sku in order.skus}
    unknown = sorted(named - catalogue)
    if unknown:
        raise CaseError(f"{where}: {unknown[0]} is not in the evaluation's catalogue")
    return case


def read_toml(path: Path, *, called: str) -> dict[str, Any]:
    """The TOML file at `path`; a CaseError naming it `called` when it cannot be read or is not TOML."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise CaseError(f"{called}: cannot be read ({error})") from None
    except tomllib.TOMLDecodeError as error:
        raise CaseError(f"{called}: not valid TOML ({error})") from None


def read_case_file(path: Path, *, catalogue: set[str]) -> list[Case]:
    data = read_toml(path, called=path.name)
    unknown = sorted(set(data) - {"case"})
    if unknown:
        raise CaseError(f"{path.name}: unknown table {unknown[0]!r} (a case file holds [[case]] tables only)")
    cases = data.get("case", [])
    if not isinstance(cases, list) or not cases:
        raise CaseError(f"{path.name}: no [[case]] tables")
    read = [read_case(value, where=f"{path.name}: case #{n}", catalogue=catalogue) for n, value in enumerate(cases, 1)]
    return [replace(case, source=path.name) for case in read]


def load_cases(paths: Iterable[Path] = (CASES_DIRECTORY,), *, catalogue: set[str]) -> list[Case]:
    """Every case of these files (a folder: its *.toml files, by name), in order; ids are unique across them."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(path.glob("*.toml"))
        elif path.is_file():
            files.append(path)
        else:
            raise CaseError(f"{path}: no such case file or folder")
    if not files:
        raise CaseError("no case files (*.toml) found in " + ", ".join(str(path) for path in paths))
    cases = [case for path in files for case in read_case_file(path, catalogue=catalogue)]
    seen: dict[str, str] = {}
    for case in cases:
        if case.id in seen:
            raise CaseError(f"{case.source}: case {case.id!r} has the same id as one in {seen[case.id]}")
        seen[case.id] = case.source
    return cases
