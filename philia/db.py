"""Transactions that take row locks, with the wait for a lock bounded; the column names hand-written SQL uses."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import OperationalError, connection, models, transaction

from philia.errors import DomainError

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
