"""With EMBEDDED_WORKER, `runserver` starts a Dramatiq worker in its own process (start_embedded_worker)."""

import threading

import dramatiq
from dramatiq.brokers.stub import StubBroker

from philia.management.commands.runserver import start_embedded_worker


def test_embedded_worker_processes_a_message_sent_to_an_actor():
    # The embedded default's broker: the in-memory one that only a worker in this process can read.
    broker = StubBroker()
    broker.emit_after("process_boot")
    received: list[str] = []
    done = threading.Event()

    @dramatiq.actor(broker=broker, max_retries=0, time_limit=5_000)
    def remember(text: str) -> None:
        received.append(text)
        done.set()

    worker = start_embedded_worker(broker=broker)
    try:
        remember.send("hold VNT-NIKE-WB-001")
        assert done.wait(timeout=10)
        broker.join(remember.queue_name, timeout=10_000)
        worker.join()
    finally:
        worker.stop(timeout=5_000)

    assert received == ["hold VNT-NIKE-WB-001"]
    assert len(worker.workers) == 2
