"""`manage.py crontab`: the production scheduler, in place of dramatiq-crontab's own command (philia comes
first in INSTALLED_APPS, so this one wins).

It runs the same `@cron` jobs on dramatiq-crontab's scheduler, but survives Redis going away. dramatiq-crontab
shuts down for good when it finds its lock gone ("The lock is no longer owned by the scheduler"), which is
what a Redis restart does; then no sweep ever runs again. Here the lock is a lease that a keeper job renews
every third of SCHEDULER_LOCK_SECONDS: while Redis does not answer the scheduler keeps going (its jobs fail
to enqueue and say so in one line); once Redis is back it takes the lock again. While another scheduler owns
the lock, this one's jobs skip their runs, and it takes over when that one stops renewing.
"""

import importlib
import logging
import signal
import threading
from typing import Any

import dramatiq
import redis
from apscheduler.triggers.interval import IntervalTrigger
from django.apps import apps
from django.conf import settings

from philia.management.arguments import OneLineErrors

logger = logging.getLogger("philia.scheduler")

KEEPER_JOB_NAME = "philia.scheduler.keep_lock"


class SchedulerLease:
    """The scheduler's lock in Redis (`<namespace>:scheduler`), taken, renewed and taken again."""

    def __init__(self, client: redis.Redis, *, key: str, seconds: int) -> None:
        self.lock = client.lock(key, timeout=seconds, thread_local=False)
        self.seconds = seconds
        self.owned = threading.Event()

    def keep(self) -> None:
        """Renew the lease, or take it when free. Never raises: a Redis that does not answer is logged."""
        try:
            if self.owned.is_set():
                try:
                    self.lock.extend(self.seconds, replace_ttl=True)
                    return
                except redis.exceptions.LockNotOwnedError:
                    self.owned.clear()
                    logger.warning("scheduler lock lost (Redis restarted or the lease ran out); taking it again")
            if self.lock.acquire(blocking=False):
                self.owned.set()
                logger.warning("scheduler lock taken: the scheduled jobs run")
        except redis.exceptions.RedisError as error:
            # Keep the flag: a lease we held is still ours if Redis only paused; if it restarted empty, the
            # next renewal finds out and takes it again.
            logger.warning("scheduler cannot reach Redis (%s); trying again", type(error).__name__)

    def release(self) -> None:
        if self.owned.is_set():
            try:
                self.lock.release()
            except redis.exceptions.RedisError:
                pass
            self.owned.clear()


def guarded(job_function: Any, *, name: str, lease: SchedulerLease) -> Any:
    """The job's function, run only while this scheduler owns the lock; an enqueue that fails (Redis down)
    is one warning, not a traceback every minute."""

    def run() -> None:
        if not lease.owned.is_set():
            logger.info("scheduled job %s skipped: another scheduler holds the lock", name)
            return
        try:
            job_function()
        except (redis.exceptions.RedisError, dramatiq.errors.BrokerError) as error:
            logger.warning("scheduled job %s not enqueued: Redis unavailable (%s)", name, type(error).__name__)

    return run


class Command(OneLineErrors):
    help = (
        "Run the scheduler: enqueue every @cron job (the sweeps, the token refresh, expired holds) on time. "
        "Takes a lease in Redis so only one scheduler runs; survives Redis restarts. Stop with SIGTERM or Ctrl-C."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        from dramatiq_crontab import scheduler

        self.load_tasks()
        namespace = settings.DRAMATIQ_BROKER["OPTIONS"]["namespace"]
        lease = SchedulerLease(
            redis.Redis.from_url(settings.REDIS_URL),
            key=f"{namespace}:scheduler",
            seconds=settings.SCHEDULER_LOCK_SECONDS,
        )
        for job in scheduler.get_jobs():
            scheduler.modify_job(job.id, func=guarded(job.func, name=job.name, lease=lease))
        lease.keep()
        scheduler.add_job(
            lease.keep,
            IntervalTrigger(seconds=max(1, settings.SCHEDULER_LOCK_SECONDS // 3)),
            name=KEEPER_JOB_NAME,
            max_instances=1,
            coalesce=True,
        )

        def stop(signum: int, frame: Any) -> None:
            raise KeyboardInterrupt(f"received {signal.Signals(signum).name}")

        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, stop)
        self.stdout.write(f"Scheduler started: {', '.join(sorted(job.name for job in scheduler.get_jobs()))}.")
        try:
            scheduler.start()
        except KeyboardInterrupt as reason:
            self.stdout.write(f"Scheduler stopping ({reason}).")
            scheduler.shutdown(wait=False)
        finally:
            lease.release()

    def load_tasks(self) -> None:
        """Import every app's `tasks` module, so its @cron jobs are on the scheduler."""
        for app in apps.get_app_configs():
            if app.name == "dramatiq_crontab":
                continue
            try:
                importlib.import_module(f"{app.name}.tasks")
            except ModuleNotFoundError as error:
                if error.name != f"{app.name}.tasks":
                    raise
