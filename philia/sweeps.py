"""Heartbeats of the minute sweeps, so `/health` can say when they stopped running (the scheduler died, no
worker takes their jobs, Redis lost its keys and nothing came back).

Each sweep records the time it ran in Redis, under the broker's namespace. `/health` reads them: a sweep
that last ran over SWEEPS_LATE_AFTER_SECONDS ago is late. A sweep never seen (a fresh install, or a Redis
that was restarted empty) is timed from the first health check that found it missing, so a scheduler that
never comes back is reported late too, not "not run yet" for ever.
"""

import time

from django.conf import settings
from django_dramatiq.apps import DjangoDramatiqConfig

# The sweeps that run every minute (philia.tasks: every inbox; conversations.tasks: the outbox).
MINUTE_SWEEPS = ("requeue_stale_events_job", "requeue_stale_outbox_job")
HEARTBEAT_TTL_SECONDS = 7 * 86_400


def _redis():
    """The Redis client of the rate limiter backend."""
    return DjangoDramatiqConfig.get_rate_limiter_backend().client


def _key(name: str) -> str:
    namespace = settings.DRAMATIQ_BROKER.get("OPTIONS", {}).get("namespace", "philia")
    return f"{namespace}:sweep-heartbeat:{name}"


def record_sweep(name: str) -> None:
    """Called by a sweep once it has run."""
    _redis().set(_key(name), f"{time.time():.3f}", ex=HEARTBEAT_TTL_SECONDS)


def sweep_ages(*, now: float | None = None) -> dict[str, float]:
    """Seconds since each minute sweep last ran (or since a check first found it had never run). Raises redis'
    errors when Redis does not answer. `/health` and `/metrics` (philia/observability/metrics.py) read it."""
    client = _redis()
    now = time.time() if now is None else now
    ages = {}
    for name, value in zip(MINUTE_SWEEPS, client.mget([_key(name) for name in MINUTE_SWEEPS]), strict=True):
        if value is None:
            # Never seen: start the clock at the first check that missed it (kept as long as a heartbeat).
            client.set(_key(f"{name}:missing-since"), f"{now:.3f}", nx=True, ex=HEARTBEAT_TTL_SECONDS)
            value = client.get(_key(f"{name}:missing-since")) or f"{now:.3f}"
        ages[name] = max(0.0, now - float(value))
    return ages


def late_sweeps(*, now: float | None = None) -> dict[str, int]:
    """The minute sweeps that are late, with the seconds since each last ran (or since it was first missed).
    Empty when all ran recently. Raises redis' errors when Redis does not answer."""
    limit = settings.SWEEPS_LATE_AFTER_SECONDS
    return {name: int(age) for name, age in sweep_ages(now=now).items() if age > limit}
