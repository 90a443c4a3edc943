"""Dramatiq queues the shop names, the broker that polls each as often as its jobs need, and waiting for a worker
to finish what is due (tests)."""

import time

import dramatiq
from dramatiq.broker import Consumer
from dramatiq.brokers.redis import RedisBroker
from dramatiq.common import dq_name

# Hold timers (expiry, reminder) wait hours in the broker; their own queue keeps them apart from the work
# that must run now, and lets a caller wait for that work without waiting for them.
TIMERS_QUEUE = "timers"

# Replies on their own queue, first in a worker's line: in a burst (a drop) each answer goes out as soon as its
# message is handled instead of behind every message still waiting (one FIFO queue would send them all last).
# Lower numbers go first (Dramatiq's actor priority, default 0).
OUTBOX_QUEUE = "outbox"
SEND_PRIORITY = -10

# An idle consumer polls Redis (a script of three commands) every `dramatiq_worker_timeout` ms at most: 50 in the
# shop's set-up, so a DM waits little for its job. Only the queues whose jobs must start at once are polled that
# often: a DM's handling (the default queue) and the sends. A delay queue's jobs are fetched ahead of their time
# and held in the worker until due, so they need a poll only about as often as the shortest delay (a busy
# conversation's retry, a drop's settlement recheck: 250 ms and more); hold timers and order deadlines wait minutes
# to hours. At rest this is 2 x 20 polls a second per worker process instead of 8 x 20.
PROMPT_QUEUES = frozenset({"default", OUTBOX_QUEUE})
DELAY_QUEUE_POLL_MS = 250
SLOW_QUEUE_POLL_MS = 1_000


class ShopRedisBroker(RedisBroker):
    """Dramatiq's Redis broker whose idle consumers poll each queue as often as its jobs need (see PROMPT_QUEUES),
    never more often than the worker's timeout."""

    def consume(self, queue_name: str, prefetch: int = 1, timeout: int = 5000) -> Consumer:
        return super().consume(queue_name, prefetch, max(timeout, idle_poll_ms(queue_name)))


def idle_poll_ms(queue_name: str) -> int:
    """The least time an idle consumer of `queue_name` waits between polls (0: the worker's timeout decides)."""
    if queue_name in PROMPT_QUEUES:
        return 0
    if any(queue_name == dq_name(prompt) for prompt in PROMPT_QUEUES):
        return DELAY_QUEUE_POLL_MS
    return SLOW_QUEUE_POLL_MS


def join_due_work(broker: dramatiq.Broker, worker: dramatiq.Worker, *, timeout_ms: int) -> None:
    """`broker.join` every queue the worker consumes, then `worker.join`, leaving out the hold timers not due
    yet: they are meant to wait hours in the broker (and in the worker's memory until due)."""
    deadline = time.monotonic() + timeout_ms / 1000
    for queue_name in list(broker.queues):
        if queue_name == TIMERS_QUEUE or queue_name not in worker.consumers:
            continue  # hold timers wait for their hour; a queue this worker does not consume never empties here
        broker.join(queue_name, timeout=max(1, int((deadline - time.monotonic()) * 1000)))
    timers_delay_queue = f"{TIMERS_QUEUE}.DQ"
    while True:
        for queue_name, consumer in list(worker.consumers.items()):
            if queue_name != timers_delay_queue:
                consumer.delay_queue.join()
        worker.work_queue.join()
        busy = any(
            consumer.delay_queue.unfinished_tasks
            for queue_name, consumer in worker.consumers.items()
            if queue_name != timers_delay_queue
        )
        if not busy and not worker.work_queue.unfinished_tasks:
            return
        if time.monotonic() > deadline:
            raise TimeoutError("the worker did not go idle in time")
