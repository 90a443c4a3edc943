"""Reads: the pieces to propose in place of one a customer could not have (`similar_pieces`; `scored_candidates` and
`rank` when many customers lost the same piece), and their sizes."""

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from operator import itemgetter
from typing import Any, NamedTuple, TypeVar

from django.db import connection
from django.db.models import QuerySet

from conversations.models import Customer
from inventory.models import Item
from inventory.selectors import drop_items_unsettled
from philia.db import STAND_IN_TIME, CompiledQuery, Reading, column_of
from propositions.models import CustomerSizes
from propositions.scoring import Facets, Scored, Scorer, Sizes, Target, weighed
from propositions.weights import current_weights

T = TypeVar("T")

# How many of the newest candidate pieces are scored: a few weeks of a one-person shop's one category, and few enough
# to read and score in a few milliseconds (bench/propositions.py).
CANDIDATES = 100
# What scoring and the facts of the pieces proposed read: the rest of a row (its description) is left in the database.
CANDIDATE_FIELDS = (
    *("sku", "name", "brand", "category", "size_label", "measurements", "price", "era", "created_at"),
    *("status", "held_by", "held_until", "drops_at"),
)
# Pieces scoring less than this are not proposed: nothing in common but being new.
MIN_CONFIDENCE = 0.25
# A target's shape (how many categories, brands, pieces left out; which price limits) has its candidate query
# compiled once per process (`philia.db.CompiledQuery`): building it was most of a proposition's CPU.
SHAPES_KEPT = 128
# The candidates' order: newest first, the greater id first at the same time (as the newest-first indexes keep them).
NEWEST = ("-created_at", "-id")
MIN_PRICE_STAND_IN, MAX_PRICE_STAND_IN = Decimal("-0.000101"), Decimal("-0.000202")


def similar_pieces(
    *, target: Target, sizes: Sizes, now: datetime, limit: int = 3, kept_back: QuerySet[Any] | None = None
) -> list[Scored]:
    """Up to `limit` pieces on sale now (never held, sold, hidden, in a drop still to come or being settled, never the
    one wanted nor one `kept_back`) that best stand in for `target`, best first: the `candidates`, read in one query,
    scored in Python with the weights in use (`current_weights`: kept per process, no query on most calls)."""
    return rank(scored_candidates(target=target, now=now, kept_back=kept_back), sizes=sizes, limit=limit)


def similar_pieces_for(
    *, customer: Customer, target: Target, now: datetime, limit: int = 3, kept_back: QuerySet[Any] | None = None
) -> list[Scored]:
    """`similar_pieces` for `customer`'s `known_sizes`, read in the same query as the candidates."""
    found, sizes = _candidate_rows(target=target, now=now, customer=customer, kept_back=kept_back)
    return rank(Candidates.of(found, target=target, now=now), sizes=sizes, limit=limit)


def scored_candidates(*, target: Target, now: datetime, kept_back: QuerySet[Any] | None = None) -> "Candidates":
    """The `candidates` for `target`, read in one query as plain rows (the statement `similar_pieces_for` runs, without
    anyone's sizes), to `rank` for as many customers as lost the piece: each scored as it is ranked."""
    found, _ = _candidate_rows(target=target, now=now, customer=None, kept_back=kept_back)
    return Candidates.of(found, target=target, now=now)


def rank(candidates: "Candidates", *, sizes: Sizes, limit: int = 3) -> list[Scored]:
    """The `limit` best of the candidates for a customer of `sizes` with at least `MIN_CONFIDENCE`, best first (newest
    first on a tie), made `Item`s. No query: what no customer's sizes change is worked out once for all the ranks
    (`Scorer.for_sizes`), and candidates that cannot be among the best are not scored in full."""
    weights, scorer = candidates.weights, candidates.scorer.for_sizes(sizes)
    close = scorer.most_confident(candidates.facets, candidates.piece, weights, limit=limit, floor=MIN_CONFIDENCE)
    best = []
    entries = ((confidence, piece.created_at.timestamp(), piece.pk, piece) for piece, confidence in close)
    for piece in best_first(entries, limit):
        confidence, features = weighed(scorer.values(piece), weights)
        best.append(Scored(item=candidates.columns.item(piece), confidence=confidence, features=features))
    return best


def best_first(entries: Iterable[tuple[float, float, int, T]], limit: int = 3) -> list[T]:
    """Of `entries` — (confidence, when the piece was put on sale as a timestamp, its id, what to give back) — the
    `limit` most confident with at least `MIN_CONFIDENCE`, the newest first on a tie, then the lesser id. How the shop
    ranks what it proposes (`rank`), and so how the evaluation and the simulation replay it."""
    ranked = sorted(entries, key=lambda entry: (-entry[0], -entry[1], entry[2]))
    return [entry[3] for entry in ranked if entry[0] >= MIN_CONFIDENCE][:limit]


def candidates(*, target: Target, now: datetime, kept_back: QuerySet[Any] | None = None) -> QuerySet[Item]:
    """The newest `CANDIDATES` free pieces of the target's kind or brand (any piece when it names neither), within
    its price limits, the wanted piece left out, and so are pieces whose drop is being settled (claimed, not settled:
    nobody can hold them) and the ids `kept_back` (a subquery: pieces lined up for a live stream). Newest first, the
    greater id first at the same time.

    Read as the newest of each category and of each brand (its other categories), each from its own newest-first
    index, merged: walking the newest of all the stock for those of one kind or brand read ten times the rows."""
    found = proposable(now=now, kept_back=kept_back).exclude(pk__in=target.excluded_ids)
    if target.min_price is not None:
        found = found.filter(price__gte=target.min_price)
    if target.max_price is not None:
        found = found.filter(price__lte=target.max_price)
    found = found.only(*CANDIDATE_FIELDS)
    # Each piece in one part only (one category, one brand; a brand's part leaves out the categories'), so no part
    # needs the others' rows to be told apart.
    parts = [found.filter(category=category) for category in sorted(target.categories)]
    other_kinds = found.exclude(category__in=target.categories) if target.categories else found
    parts += [other_kinds.filter(brand__iexact=brand) for brand in sorted(target.brands)]
    newest = [part.order_by(*NEWEST)[:CANDIDATES] for part in parts or [found]]
    if len(newest) == 1:
        return newest[0]
    return newest[0].union(*newest[1:], all=True).order_by(*NEWEST)[:CANDIDATES]


def proposable(*, now: datetime, kept_back: QuerySet[Any] | None = None) -> QuerySet[Item]:
    """The pieces the shop may propose now, in place of another or as new in a size: free (never held, sold, hidden
    or in a drop still to come), not in a drop being settled (claimed: nobody can hold them) and not one of the ids
    `kept_back` (a subquery: pieces lined up for a live stream, to be sold on screen)."""
    found = Item.objects.free(now=now).exclude(pk__in=drop_items_unsettled().values("item_id"))
    return found if kept_back is None else found.exclude(pk__in=kept_back)


def known_sizes(*, customer: Customer) -> Sizes:
    """The sizes the customer is known to wear; empty when none are (one query)."""
    stored = CustomerSizes.objects.filter(customer=customer).first()
    if stored is None:
        return Sizes()
    return _sizes(stored.labels, stored.waist, stored.measurements)


def sizes_of(*, customer_ids: Sequence[str]) -> dict[str, Sizes]:
    """The sizes each of these customers is known to wear, in one query; those with none known are left out."""
    known = CustomerSizes.objects.filter(customer_id__in=customer_ids)
    return {stored.customer_id: _sizes(stored.labels, stored.waist, stored.measurements) for stored in known}


def _sizes(labels: Sequence[str], waist: int | None, measurements: Mapping[str, float]) -> Sizes:
    return Sizes(labels=frozenset(labels), waist=waist, measurements=dict(measurements))


# --- The candidates as plain rows -----------------------------------------------------------------------------------


class _Candidate(NamedTuple):
    """A candidate row as scoring reads it (`propositions.scoring.Piece`), made an `Item` only when proposed."""

    row: tuple[Any, ...]
    pk: int
    name: str
    brand: str
    category: str
    era: str
    size_label: str
    price: Decimal
    created_at: datetime
    measurements: object  # the column as read (JSON text)

    @property
    def ordered_measurements(self) -> Mapping[str, int | float]:
        return Item(measurements=_json(self.measurements)).ordered_measurements


@dataclass(frozen=True)
class _Columns:
    """Where a candidate query's columns are in its rows: the piece's first, then when it was put on sale (in
    microseconds since 1970: an integer reads much faster than a time), then the customer's sizes when read; and
    how the piece's become an `Item`, as the ORM reads them."""

    items: Reading[Item]
    width: int
    scored: Callable[[tuple[Any, ...]], tuple[Any, ...]]  # the values of `_Candidate`'s fields after `row`
    faceted: tuple[int, int, int, int]  # where a row's category, size label, brand and `_CREATED_US` are

    @classmethod
    def of(cls, names: list[str]) -> "_Columns":
        width = names.index(_CREATED_US)
        columns = ("id", "name", "brand", "category", "era", "size_label", "price", _CREATED_US, "measurements")
        faceted = (names.index("category"), names.index("size_label"), names.index("brand"), width)
        scored = itemgetter(*(names.index(column) for column in columns))
        return cls(Reading.of(Item, names[:width]), width, scored, faceted)

    def facets(self, rows: list[tuple[Any, ...]], *, now: datetime) -> list[Facets]:
        """What ranking reads of each row (`Scorer.most_confident`), without making it a piece."""
        category, size_label, brand, created_us = self.faceted
        now_us = (now - _EPOCH) // _MICROSECOND
        return [(row[category], row[size_label], row[brand], row[created_us] > now_us) for row in rows]

    def candidate(self, row: tuple[Any, ...]) -> _Candidate:
        pk, name, brand, category, era, size_label, price, created_us, measurements = self.scored(row)
        created_at = _EPOCH + timedelta(microseconds=created_us)
        return _Candidate(row, pk, name, brand, category, era, size_label, price, created_at, measurements)

    def sizes(self, row: tuple[Any, ...]) -> Sizes:
        labels, waist, measurements = row[self.width + 1 :]
        if labels is None:  # nothing known
            return Sizes()
        return _sizes(_json(labels), waist, _json(measurements))

    def item(self, candidate: _Candidate) -> Item:
        item = self.items.instance(candidate.row[: self.width])
        item.created_at = candidate.created_at
        return item


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_CREATED_US = "created_us"
_SIZE_COLUMNS = ("labels", "waist", "measurements")
_columns: dict[bool, _Columns] = {}  # with the sizes or without, worked out at the first run


_Found = tuple[list[tuple[Any, ...]], _Columns]


@dataclass(frozen=True)
class Candidates:
    """The candidates for a target read once as plain rows, to `rank` for any number of customers' sizes: the
    `scorer` (of no sizes) keeps what no customer's sizes change, worked out once per piece for all of them. A row
    is made a piece (`piece`) only when it is scored in full; ranking reads the rest as `facets`."""

    rows: list[tuple[Any, ...]]
    columns: "_Columns"
    facets: list[Facets]
    scorer: Scorer
    weights: Mapping[str, float]
    made: dict[int, _Candidate] = field(default_factory=dict, compare=False)  # the pieces made, by position

    @classmethod
    def of(cls, found: _Found, *, target: Target, now: datetime) -> "Candidates":
        rows, columns = found
        scorer = Scorer(target=target, sizes=Sizes(), now=now)
        return cls(rows, columns, columns.facets(rows, now=now), scorer, current_weights())

    def piece(self, position: int) -> _Candidate:
        """The candidate at `position` as scoring reads it."""
        piece = self.made.get(position)
        if piece is None:
            piece = self.made[position] = self.columns.candidate(self.rows[position])
        return piece

    @property
    def pieces(self) -> list[_Candidate]:
        return [self.piece(position) for position in range(len(self.rows))]


def _candidate_rows(
    *, target: Target, now: datetime, customer: Customer | None, kept_back: QuerySet[Any] | None
) -> tuple[_Found, Sizes]:
    """The `candidates` as plain rows, and (for a customer) their `known_sizes` read with them: one statement."""
    compiled = _compiled(_shape(target), kept_back).sql(now=now, **_slots(target))
    params = [*compiled.params, customer.pk] if customer is not None else list(compiled.params)
    with_sizes = customer is not None
    with connection.cursor() as cursor:
        cursor.execute(_reading_sql(compiled.text, with_sizes=with_sizes), params)
        rows = cursor.fetchall()
        if with_sizes not in _columns:
            _columns[with_sizes] = _Columns.of([column[0] for column in cursor.description])
    columns = _columns[with_sizes]
    sizes = columns.sizes(rows[0]) if with_sizes and rows else Sizes()
    return (rows, columns), sizes


@lru_cache(maxsize=SHAPES_KEPT * 2)
def _reading_sql(candidates_sql: str, *, with_sizes: bool) -> str:
    """The statement reading the candidates of `candidates_sql` as `_Columns` says, with the sizes of the customer
    its last parameter names (`with_sizes`: joined to each candidate, read from the first)."""
    created = column_of(Item, "created_at")
    read = [f'piece."{column}"' for column in _piece_columns() if column != created]
    read.append(f'(extract(epoch FROM piece."{created}") * 1000000)::bigint AS "{_CREATED_US}"')
    joined = ""
    if with_sizes:
        sizes_table, key = CustomerSizes._meta.db_table, column_of(CustomerSizes, "customer")
        read.extend(f'sizes."{column}" AS "sizes_{column}"' for column in _SIZE_COLUMNS)
        joined = f' LEFT JOIN "{sizes_table}" AS sizes ON sizes."{key}" = %s'
    # Named by position: a union's parts name their columns after their place ("col1"), in the same order.
    named = ", ".join(f'"{column}"' for column in _piece_columns())
    return f"SELECT {', '.join(read)} FROM ({candidates_sql}) AS piece({named}){joined}"  # noqa: S608


@lru_cache(maxsize=1)
def _piece_columns() -> tuple[str, ...]:
    """The columns of `CANDIDATE_FIELDS` and the key, in the model's order (as `Model.from_db` takes them, and as
    the ORM selects them)."""
    wanted = {column_of(Item, name) for name in ("pk", *CANDIDATE_FIELDS)}
    return tuple(field.column for field in Item._meta.concrete_fields if field.column in wanted)


def _json(value: object) -> Any:
    return json.loads(value) if isinstance(value, str) else value


# --- The candidate query, compiled once per shape --------------------------------------------------------------------


def _shape(target: Target) -> Target:
    """`target` with its values replaced by the stand-ins of `_slots`: one shape per number of each."""
    return Target(
        categories=frozenset(f"\x00category{number}" for number in range(len(target.categories))),
        brands=frozenset(f"\x00brand{number}" for number in range(len(target.brands))),
        excluded_ids=frozenset(-1901 - number for number in range(len(target.excluded_ids))),
        min_price=None if target.min_price is None else MIN_PRICE_STAND_IN,
        max_price=None if target.max_price is None else MAX_PRICE_STAND_IN,
    )


def _slots(target: Target) -> dict[str, object]:
    """A run's values of the slots of `target`'s shape."""
    slots: dict[str, object] = {}
    for name, values in (("category", target.categories), ("brand", target.brands), ("excluded", target.excluded_ids)):
        slots.update({f"{name}{number}": value for number, value in enumerate(sorted(values))})
    if target.min_price is not None:
        slots["min_price"] = target.min_price
    if target.max_price is not None:
        slots["max_price"] = target.max_price
    return slots


@lru_cache(maxsize=SHAPES_KEPT)
def _compiled(shape: Target, kept_back: QuerySet[Any] | None) -> CompiledQuery[Item]:
    """`candidates` of `shape`, compiled once per subquery `kept_back` (by identity: a caller passes the same one on
    every call, as `live.selectors.kept_for_streams` gives it; it takes no value that changes between runs, so it is
    compiled in whole); its runs take `now` and the `_slots`."""
    # Which of a run's categories (brands, pieces left out) fills which of their slots does not matter: each is one of
    # a set the query matches (or leaves out) whole.
    return CompiledQuery.constants_inline(
        lambda now, **_: candidates(target=shape, now=now, kept_back=kept_back),
        now=STAND_IN_TIME,
        **_slots(shape),
    )
