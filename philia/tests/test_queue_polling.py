"""The shop's broker polls Redis from an idle worker as often as each queue's jobs need: a DM's handling and the
sends at the worker's timeout, delay queues at most every DELAY_QUEUE_POLL_MS, hold timers and order deadlines at
most every SLOW_QUEUE_POLL_MS. Counted on a real Redis, in the commands an idle worker sends."""

import time
from collections import Counter

import dramatiq
import pytest

from philia.queues import DELAY_QUEUE_POLL_MS, OUTBOX_QUEUE, SLOW_QUEUE_POLL_MS, TIMERS_QUEUE, ShopRedisBroker

WORKER_TIMEOUT_MS = 50


def test_the_configured_broker_is_the_shops(dramatiq_broker):
    assert isinstance(dramatiq_broker, ShopRedisBroker)


@pytest.mark.parametrize(
    ("queue", "least_ms"),
    [
        ("default", WORKER_TIMEOUT_MS),
        (OUTBOX_QUEUE, WORKER_TIMEOUT_MS),
        ("default.DQ", DELAY_QUEUE_POLL_MS),
        (f"{OUTBOX_QUEUE}.DQ", DELAY_QUEUE_POLL_MS),
        (TIMERS_QUEUE, SLOW_QUEUE_POLL_MS),
        (f"{TIMERS_QUEUE}.DQ", SLOW_QUEUE_POLL_MS),
        ("order_deadlines", SLOW_QUEUE_POLL_MS),
    ],
)
def test_each_queue_is_polled_as_often_as_its_jobs_need(dramatiq_broker, queue, least_ms):
    consumer = dramatiq_broker.consume(queue, prefetch=1, timeout=WORKER_TIMEOUT_MS)
    assert consumer.timeout == least_ms


class CountingBroker(ShopRedisBroker):
    """The shop's broker counting the polls (fetch scripts) its consumers send to Redis, by queue."""

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self.polls: Counter[str] = Counter()
        fetch = self._dispatch("fetch")

        def counted_fetch(queue_name: str, *args):
            self.polls[queue_name] += 1
            return fetch(queue_name, *args)

        self.do_fetch = counted_fetch


def test_an_idle_worker_polls_its_slow_queues_seldom(settings):
    """Eight consumers (four queues and their delay queues): at the worker's timeout alone each would poll about
    20 to 40 times a second; only the two prompt queues do."""
    broker = CountingBroker(url=settings.REDIS_URL, namespace="philia-test-polling", middleware=[])
    for queue in ("default", OUTBOX_QUEUE, TIMERS_QUEUE, "order_deadlines"):
        broker.declare_queue(queue)
    worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=WORKER_TIMEOUT_MS)
    worker.start()
    try:
        time.sleep(1.5)  # the consumers' back-off has reached its ceiling
        before = Counter(broker.polls)
        time.sleep(2.0)
        per_second = {queue: (broker.polls[queue] - before[queue]) / 2.0 for queue in broker.polls}
    finally:
        worker.stop()
        broker.client.delete(*broker.client.keys("philia-test-polling*") or ["none"])
    # A poll waits a jittered half to all of its ceiling: 50 ms gives 20 to 40 a second, 250 ms 4 to 8, 1 s 1 to 2.
    assert 15 <= per_second["default"] <= 45 and 15 <= per_second[OUTBOX_QUEUE] <= 45
    assert per_second["default.DQ"] <= 9 and per_second[f"{OUTBOX_QUEUE}.DQ"] <= 9
    slow = [TIMERS_QUEUE, f"{TIMERS_QUEUE}.DQ", "order_deadlines", "order_deadlines.DQ"]
    assert all(per_second.get(queue, 0) <= 2.5 for queue in slow), per_second
