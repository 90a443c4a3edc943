"""Work for the worker, sent to an actor by its name.

An app enqueues its own or another app's actor without importing a tasks module: importing a service never
drags in actors (which import services back), so no import runs round a circle, and an app lower down may ask
for work an app above it does (docs/development.md, "How the apps fit together").

A broker that does not take a job is logged, never raised: the write that asked for it is committed, and what
recovers the job (a sweep, a later message) is named in the log line by the caller.
"""

import logging
from functools import partial
from typing import Any

import dramatiq
from django.db import transaction
from django.utils.module_loading import autodiscover_modules
from dramatiq.brokers.redis import RedisBroker

logger = logging.getLogger(__name__)


def actor(name: str) -> dramatiq.Actor:
    """The actor declared as `name` by an app's tasks module, imported here first if this process has not yet
    (the web process imports no tasks module of its own accord). Raises ActorNotFound for an unknown name."""
    broker = dramatiq.get_broker()
    try:
        return broker.get_actor(name)
    except dramatiq.errors.ActorNotFound:
        autodiscover_modules("tasks")
        return broker.get_actor(name)


def redis_broker() -> RedisBroker:
    """The broker, for what reads Redis itself: always Redis's (settings.DRAMATIQ_BROKER)."""
    broker = dramatiq.get_broker()
    if not isinstance(broker, RedisBroker):
        raise TypeError(f"the broker is a {type(broker).__name__}, not Redis's")
    return broker


def enqueue(name: str, *args: Any, delay_ms: int | None = None, unless_sent: str = "", **kwargs: Any) -> bool:
    """Send `name`(*args, **kwargs) now, after `delay_ms` when given. False (and one log line saying
    `unless_sent`, what happens instead) when the broker does not take it."""
    try:
        actor(name).send_with_options(args=args, kwargs=kwargs, delay=delay_ms)
    except dramatiq.errors.ActorNotFound:
        raise
    except Exception:
        logger.exception("job not enqueued; %s", unless_sent or "nothing retries it", extra={"actor": name})
        return False
    return True


def enqueue_on_commit(name: str, *args: Any, delay_ms: int | None = None, unless_sent: str = "", **kwargs: Any) -> None:
    """`enqueue` once the current transaction commits (at once outside one): a job never runs before the rows
    it reads are there, and never for a write that was rolled back."""
    transaction.on_commit(partial(enqueue, name, *args, delay_ms=delay_ms, unless_sent=unless_sent, **kwargs))
