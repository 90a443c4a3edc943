"""A real Dramatiq worker on the real broker (Redis, as test settings configure it) for tests.

    def test_...(dramatiq_worker):
        ...                                  # enqueue work (webhook intake, queue a reply, ...)
        dramatiq_worker.drain()              # wait until every queue is empty and the worker idle

Only this run's namespace (DRAMATIQ_NAMESPACE) is flushed, before and after.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dramatiq
import pytest
import redis
from django.utils.module_loading import autodiscover_modules

from philia.queues import join_due_work


class RunningWorker:
    def __init__(self, broker: dramatiq.Broker, worker: dramatiq.Worker, queues: set[str]) -> None:
        self.broker = broker
        self.worker = worker
        self.queues = queues

    def drain(self, *, timeout_ms: int = 30_000) -> None:
        """Wait for every queue this worker consumes (and its delay queue) to empty, then for the worker to go idle.
        Twice, since a finished job may enqueue another (an event queues a reply). Hold timers still to
        come (hours away, on their own queue) are not waited for; the ones due are."""
        for _ in range(2):
            join_due_work(self.broker, self.worker, timeout_ms=timeout_ms)


@pytest.fixture
def dramatiq_broker() -> Iterator[dramatiq.Broker]:
    """The broker, with this run's namespace emptied before and after: its queues, and the leases and send slots
    the shop keeps beside them (a slot booked ahead by one test must not make the next one wait)."""
    autodiscover_modules("tasks")
    broker = dramatiq.get_broker()
    _empty_namespace(broker)
    try:
        yield broker
    finally:
        _empty_namespace(broker)


def _empty_namespace(broker: Any) -> None:
    broker.flush_all()
    try:
        keys = list(broker.client.scan_iter(match=f"{broker.namespace}:*", count=1000))
        if keys:
            broker.client.delete(*keys)
    except redis.ConnectionError:
        pass  # a test pointed the broker at a Redis that is not there, on purpose: nothing of ours to empty


# An order's payment deadline is a job delayed by hours: a worker holding it would never go idle. Only
# `deadline_worker` (for a test that made the deadline seconds away) consumes that queue.
DEADLINES_QUEUE = "order_deadlines"


@contextmanager
def running_worker(broker: dramatiq.Broker, *, deadlines: bool = False) -> Iterator[RunningWorker]:
    """A worker consuming every queue of `broker` (the deadlines' only with `deadlines`), stopped on the way out."""
    queues = {name.split(".")[0] for name in broker.queues}
    if not deadlines:
        queues.discard(DEADLINES_QUEUE)
    # A short worker_timeout makes the worker notice new and delayed messages quickly.
    worker = dramatiq.Worker(broker, queues=queues, worker_threads=4, worker_timeout=100)
    worker.start()
    try:
        yield RunningWorker(broker, worker, queues)
    finally:
        worker.stop()


@pytest.fixture
def dramatiq_worker(dramatiq_broker: dramatiq.Broker) -> Iterator[RunningWorker]:
    with running_worker(dramatiq_broker) as running:
        yield running


@pytest.fixture
def deadline_worker(dramatiq_broker: dramatiq.Broker) -> Iterator[RunningWorker]:
    with running_worker(dramatiq_broker, deadlines=True) as running:
        yield running


def delayed_jobs(broker: Any) -> int:
    """How many messages wait in the broker (ready, unacked or delayed), over all queues."""
    return sum(broker.do_qsize(queue_name) for queue_name in broker.queues)
