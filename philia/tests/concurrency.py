"""Run calls in real threads released together, each on its own database connection; hold row locks from
another connection while a test waits on them."""

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from django.db import connection, transaction

from inventory.locks import lock_items


def run_at_once(calls: list[Callable[[], Any]], *, timeout: float = 30) -> list[Any]:
    """Run each call in its own thread, all released by one barrier; returns each result or raised exception.

    The caller's test needs `django_db(transaction=True)`: the threads only see committed rows.
    """
    barrier = threading.Barrier(len(calls), timeout=timeout)
    outcomes: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            connection.ensure_connection()  # connected first: the race is about the rows, not connecting
            barrier.wait()
            outcomes[index] = call()
        except Exception as exc:  # the outcome under test, compared by the caller
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck: a deadlock or an unbounded wait"
    return outcomes


@contextmanager
def locked_elsewhere(lock: Callable[[], object]) -> Iterator[None]:
    """The rows `lock` locks (in a transaction) held by another connection, in a thread, until the block ends.

    The caller's test needs `django_db(transaction=True)`: the thread only sees committed rows.
    """
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                lock()
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert locked.wait(timeout=10), "the other connection did not get the locks"
        yield
    finally:
        release.set()
        thread.join(timeout=10)


def items_locked_elsewhere(item_ids: Iterable[int]) -> AbstractContextManager[None]:
    """The items' rows locked (`lock_items`) by another connection until the block ends (`locked_elsewhere`)."""
    item_ids = list(item_ids)
    return locked_elsewhere(lambda: list(lock_items(ids=item_ids)))
