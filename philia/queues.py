"""Dramatiq queues the shop names, and waiting for a worker to finish what is due (tests)."""

import time

import dramatiq

# Hold timers (expiry, reminder) wait hours in the broker; their own queue keeps them apart from the work
# that must run now, and lets a caller wait for that work without waiting for them.
TIMERS_QUEUE = "timers"

# Replies on their own queue, first in a worker's line: in a burst (a drop) each answer goes out as soon as its
# message is handled instead of behind every message still waiting (one FIFO queue would send them all last).
# Lower numbers go first (Dramatiq's actor priority, default 0).
OUTBOX_QUEUE = "outbox"
SEND_PRIORITY = -10


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
