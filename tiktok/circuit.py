"""A circuit breaker for enqueueing: after the broker fails once, stop trying it for a few seconds.

The webhook enqueues after its INSERT has committed; when Redis is down each try costs up to the Redis
client's timeout. The event is stored either way and the sweep enqueues it later, so while the circuit is
open the webhook skips the broker and answers at once. Per process (each gunicorn worker learns on its own).
"""

import threading
import time
from collections.abc import Callable

from django.conf import settings


class BrokerCircuit:
    def __init__(self, *, seconds: Callable[[], float], clock: Callable[[], float] = time.monotonic) -> None:
        self._seconds = seconds
        self._clock = clock
        self._open_until = 0.0
        self._lock = threading.Lock()

    def is_open(self) -> bool:
        """True while enqueueing should not even be tried."""
        with self._lock:
            return self._clock() < self._open_until

    def failed(self) -> None:
        """An enqueue failed: open the circuit for BROKER_CIRCUIT_SECONDS."""
        with self._lock:
            self._open_until = self._clock() + self._seconds()

    def succeeded(self) -> None:
        with self._lock:
            self._open_until = 0.0


# The webhook's (tiktok.services.record_webhook_event); the sweeps and replays always try the broker.
webhook_circuit = BrokerCircuit(seconds=lambda: settings.BROKER_CIRCUIT_SECONDS)
