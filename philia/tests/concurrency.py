"""Run calls in real threads released together, each on its own database connection."""

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def run_at_once(calls: list[Callable[[], Any]], *, timeout: float = 30) -> list[Any]:
    """Run each call in its own thread, all released by one barrier; returns each result or raised exception.

    The caller's test needs `django_db(transaction=True)`: the threads only see committed rows.
    """
    barrier = threading.Barrier(len(calls), timeout=10)
    outcomes: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            connection.ensure_connection()  # connect first, so the race is about the rows, not connecting
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
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    return outcomes
