"""Transactions that take row locks, with the wait for a lock bounded; the column names hand-written SQL uses;
queries compiled once per process."""

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import OperationalError, connection, models, transaction
from django.db.models import QuerySet
from psycopg.sql import Literal

from philia.errors import DomainError

M = TypeVar("M", bound=models.Model)

# PostgreSQL's SQLSTATE for "lock_timeout expired" (lock_not_available).
LOCK_NOT_AVAILABLE = "55P03"
# Our own attribute on the thread's connection (not one of the wrapper's): how many locking transactions are open.
OPEN_COUNT = "locking_transactions_open"


class Busy(DomainError):
    """Another change held the rows longer than LOCK_TIMEOUT_SECONDS: nothing was changed."""

    status_code = 503

    def __init__(self) -> None:
        super().__init__("The shop is busy with that right now; nothing was changed. Please try again.")


@contextmanager
def locking_transaction() -> Iterator[None]:
    """`transaction.atomic()` in which waiting for a row lock gives up after LOCK_TIMEOUT_SECONDS.

    It sets `lock_timeout` for this transaction only (`SET LOCAL`), once: a locking transaction inside another
    one (a savepoint) finds the outer one's setting in force and sends nothing. A wait that runs out rolls the
    block back and raises `Busy` instead of hanging a worker or a request.
    """
    try:
        with transaction.atomic():
            # Counted on the thread's connection: while an enclosing locking transaction is open, its SET LOCAL
            # holds (only rolling back its own savepoint could undo it, and that cannot happen before this ends).
            enclosing: int = getattr(connection, OPEN_COUNT, 0)
            if not enclosing:
                milliseconds = max(1, int(settings.LOCK_TIMEOUT_SECONDS * 1000))
                with connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL lock_timeout = {milliseconds}")
            setattr(connection, OPEN_COUNT, enclosing + 1)
            try:
                yield
            finally:
                setattr(connection, OPEN_COUNT, enclosing)
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            raise Busy() from error
        raise


def concrete_field(model: type[models.Model], name: str) -> models.Field:
    """`model`'s field `name` ("pk": its primary key), one with a column of its own, for hand-written SQL."""
    field = model._meta.pk if name == "pk" else model._meta.get_field(name)
    if not isinstance(field, models.Field) or field.column is None:
        raise LookupError(f"{model._meta.label}.{name} has no column of its own")
    return field


def column_of(model: type[models.Model], name: str) -> str:
    """The database column of `model`'s field `name` ("pk": its primary key)."""
    column = concrete_field(model, name).column
    assert column is not None  # concrete_field checked
    return column


def update_rows(model: type[models.Model], values: dict[str, Any], *, where: str, params: Sequence[Any]) -> int:
    """`UPDATE` of `model`'s rows matching `where` (SQL, with `params`), setting `values` (field name -> value,
    prepared as the ORM prepares them), written here rather than built by the ORM on a hot path. Returns how many."""
    return run_along(update_along(model, values, where=where, params=params))


@dataclass
class Along:
    """A write to make in the same statement as another: an UPDATE (`update_along`), run on its own (`run_along`) or
    inside an INSERT as a data-modifying CTE (`insert_row(along=…)`, which counts its rows), which saves a round trip
    and the statement's share of the database's work. `rows`: how many rows it changed, once it has run."""

    sql: str
    params: list[Any]
    rows: int | None = None


def update_along(model: type[models.Model], values: dict[str, Any], *, where: str, params: Sequence[Any]) -> Along:
    """`update_rows`' statement, not run yet."""
    quote = connection.ops.quote_name
    fields = [concrete_field(model, name) for name in values]
    assignments = ", ".join(f"{quote(column_of(model, field.name))} = %s" for field in fields)
    prepared = [field.get_db_prep_save(value, connection) for field, value in zip(fields, values.values(), strict=True)]
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {where}"
    return Along(sql, [*prepared, *params])


def run_along(along: Along) -> int:
    """Run `along` on its own (unless it ran already, inside an INSERT); how many rows it changed."""
    if along.rows is None:
        with connection.cursor() as cursor:
            cursor.execute(along.sql, along.params)
            along.rows = cursor.rowcount
    return along.rows


def insert_values(instance: models.Model) -> tuple[tuple[str, ...], list[Any]]:
    """The quoted columns of a new row of `instance` and their values as Django would insert them (defaults, the
    `auto_now` times), its own generated id left out: for hand-written INSERTs."""
    fields, columns = _inserted_columns(type(instance))
    return columns, [field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields]


def insert_row(instance: M, *, along: Along | None = None) -> M:
    """`instance.save(force_insert=True)` in one statement written once per model: the ORM builds its INSERT anew
    on every save, which is most of what a hot path's insert costs in Python. No signals are sent (as with
    `bulk_create`); the instance gets its id and is then as a saved one. `along`, a write that has not run yet,
    runs in the same statement (its `rows` set)."""
    columns, values = insert_values(instance)
    statement, params = _insert_statement(type(instance), columns), values
    if along is not None and along.rows is None:
        statement = f"WITH along AS ({along.sql} RETURNING 1) {statement}, (SELECT count(*) FROM along)"
        params = [*along.params, *values]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        row = cursor.fetchone()
    instance.pk = row[0]
    if along is not None and along.rows is None:
        along.rows = row[1]
    instance._state.adding, instance._state.db = False, connection.alias
    return instance


@cache
def _insert_statement(model: type[models.Model], columns: tuple[str, ...]) -> str:
    """The INSERT of a new row of `model` into `columns`, returning its generated id."""
    quote = connection.ops.quote_name
    pk = model._meta.pk
    assert pk is not None and pk.db_returning, f"{model._meta.label} has no generated id"
    return (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))}) RETURNING {quote(str(pk.column))}"
    )


@cache
def _inserted_columns(model: type[models.Model]) -> tuple[list[Any], tuple[str, ...]]:
    """The fields a new row of `model` is inserted with (its generated id left out) and their quoted columns."""
    fields = [field for field in model._meta.concrete_fields if not field.db_returning]
    return fields, tuple(connection.ops.quote_name(str(field.column)) for field in fields)


# A stand-in for a time a CompiledQuery's runs give (no query of the shop names this moment).
STAND_IN_TIME = datetime(1901, 1, 1, 0, 0, 0, 1901, tzinfo=UTC)


class CompiledQuery(Generic[M]):
    """A query the ORM builds the same way on every run, compiled to SQL once per process: building a small
    query is most of what it costs in Python (a DM's turn runs a dozen of them).

    `build(**stand_ins)` returns the queryset, made from `stand_ins`: one value per parameter that changes between
    runs, of the type its field expects and equal to no constant of the query (say "\\x00customer", or a datetime
    in 1901). Compiled at the first run (inside its transaction when it locks rows), the SQL's parameters equal to
    a stand-in are its slots; each run fills them with that run's values. Rows come back as the queryset's model,
    its annotations as attributes (as `Model.objects.raw` gives them, with the columns' reading also worked out
    once: `Reading`).
    """

    def __init__(self, build: Callable[..., QuerySet[M]], **stand_ins: object) -> None:
        self._build = build
        self._constants_inline = False
        self._stand_ins = stand_ins
        self._compiled: tuple[type[M], str, list[object], list[str | None]] | None = None
        self._reading: Reading[M] | None = None

    @classmethod
    def constants_inline(cls, build: Callable[..., QuerySet[M]], **stand_ins: object) -> "CompiledQuery[M]":
        """A CompiledQuery whose constants (the values no stand-in gives) are written into the SQL as literals: a
        prepared statement's generic plan is then weighed by them (`status = 'available'`, most of the stock) as a
        plan for one run's values is, so PostgreSQL can keep one plan instead of planning every run."""
        query = cls(build, **stand_ins)
        query._constants_inline = True
        return query

    def run(self, **values: object) -> list[M]:
        """The rows of this run (its values in the stand-ins' places)."""
        names, rows = self.rows(**values)
        if self._reading is None:
            assert self._compiled is not None  # compiled by the run just made
            self._reading = Reading.of(self._compiled[0], names)
        return [self._reading.instance(row) for row in rows]

    def rows(self, **values: object) -> tuple[list[str], list[tuple[Any, ...]]]:
        """The column names and plain rows of this run, for a caller that needs no model instances."""
        compiled = self.sql(**values)
        with connection.cursor() as cursor:
            cursor.execute(compiled.text, compiled.params)
            names = [column[0] for column in cursor.description or ()]
            return names, cursor.fetchall()

    def sql(self, **values: object) -> "CompiledSQL[M]":
        """The statement of this run, to embed in another (an UPDATE of the rows it selects)."""
        if values.keys() != self._stand_ins.keys():
            raise TypeError(f"a run needs exactly {sorted(self._stand_ins)}, not {sorted(values)}")
        if self._compiled is None:
            queryset = self._build(**self._stand_ins)
            sql, found_params = queryset.query.sql_with_params()
            found = list(found_params)
            by_value = {_key(value): name for name, value in self._stand_ins.items()}
            slots = [by_value.get(_key(param)) for param in found]
            missing = set(self._stand_ins) - set(slots)
            if missing:
                raise ValueError(f"stand-ins not found among the query's parameters: {sorted(missing)}")
            if self._constants_inline:
                sql, found, slots = _inline_constants(sql, found, slots)
            self._compiled = (queryset.model, sql, found, slots)
        model, sql, constants, slots = self._compiled
        params = [param if slot is None else values[slot] for param, slot in zip(constants, slots, strict=True)]
        return CompiledSQL(model, sql, params)


_PLACEHOLDER = re.compile(r"%%|%s")


def _inline_constants(
    sql: str, params: list[object], slots: list[str | None]
) -> tuple[str, list[object], list[str | None]]:
    """`sql` with the parameters that are no stand-in's written in as SQL literals, and the slots' parameters."""
    values = iter(zip(params, slots, strict=True))
    kept: list[tuple[object, str | None]] = []
    connection.ensure_connection()  # the literals as the connection's own adapters write them

    def written(placeholder: re.Match[str]) -> str:
        if placeholder.group() == "%%":
            return "%%"
        value, slot = next(values)
        if slot is not None:
            kept.append((value, slot))
            return "%s"
        return Literal(value).as_string(connection.connection).replace("%", "%%")

    inlined = _PLACEHOLDER.sub(written, sql)
    return inlined, [value for value, _ in kept], [slot for _, slot in kept]


@dataclass(frozen=True)
class Reading(Generic[M]):
    """How a CompiledQuery's result columns become instances: which are the model's fields (with their converters,
    as the ORM applies them) and which are annotations, set as attributes. `Reading.of` works it out once, also for
    rows a caller reads as plain values (`propositions.selectors`)."""

    model: type[M]
    fields: list[tuple[int, str, Any, list[Any]]]  # (position, attname, column expression, converters)
    annotations: list[tuple[int, str]]

    @classmethod
    def of(cls, model: type[M], names: list[str]) -> "Reading[M]":
        by_column = {field.column: field for field in model._meta.concrete_fields}
        fields, annotations, seen = [], [], set()
        for position, name in enumerate(names):
            field = by_column.get(name)
            if field is None or field.attname in seen:
                annotations.append((position, name))
                continue
            seen.add(field.attname)
            column = field.get_col(model._meta.db_table)
            fields.append((position, field.attname, column, column.get_db_converters(connection)))
        return cls(model, fields, annotations)

    def instance(self, row: tuple[Any, ...]) -> M:
        values = []
        for position, _, column, converters in self.fields:
            value = row[position]
            for converter in converters:
                value = converter(value, column, connection)
            values.append(value)
        instance = self.model.from_db(connection.alias, [attname for _, attname, _, _ in self.fields], values)
        for position, name in self.annotations:
            setattr(instance, name, row[position])
        return instance


@dataclass(frozen=True)
class CompiledSQL(Generic[M]):
    """A run of a CompiledQuery: its model, its SQL and that run's parameters."""

    model: type[M]
    text: str
    params: list[Any]


def _key(value: object) -> tuple[type, object] | None:
    """Equal for equal values of the same type only (1 and True, "1" and 1 stay apart); None for a value that
    cannot be a key (a list: never a stand-in)."""
    try:
        hash(value)
    except TypeError:
        return None
    return (type(value), value)
