"""Running enqueued jobs from a command on the embedded default, where the in-memory broker is per process."""

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.errors import QueueJoinTimeout


def run_enqueued_jobs_here(*, timeout_seconds: float) -> bool:
    """With the in-memory broker, nobody else can see what this process enqueued: run a worker here until the
    queues are empty. Returns False (and does nothing) with a real broker, whose workers take the jobs."""
    broker = dramatiq.get_broker()
    if not isinstance(broker, StubBroker):
        return False
    from philia.management.commands.runserver import start_embedded_worker
    from philia.queues import join_due_work

    worker = start_embedded_worker(broker=broker)
    try:
        try:
            join_due_work(broker, worker, timeout_ms=int(timeout_seconds * 1000))
        except (QueueJoinTimeout, TimeoutError):
            pass
    finally:
        worker.stop()
    return True
