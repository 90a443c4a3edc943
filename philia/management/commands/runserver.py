"""`manage.py runserver`, plus the embedded Dramatiq worker when `EMBEDDED_WORKER` is on.

With no REDIS_URL the broker is Dramatiq's in-memory one, which only a worker in the same process can
read: so the development server starts a few worker threads beside itself. In production
(`REDIS_URL` set) `EMBEDDED_WORKER` is off and `manage.py rundramatiq` runs the workers.
"""

import threading
from typing import Any

import dramatiq
from django.conf import settings
from django.contrib.staticfiles.management.commands.runserver import Command as StaticFilesRunserverCommand
from django.utils.module_loading import autodiscover_modules

from philia.management.arguments import OneLineErrors

EMBEDDED_WORKER_THREADS = 2
# How long stopping waits for a running actor: quitting the dev server should be quick.
STOP_TIMEOUT_MS = 5_000


def start_embedded_worker(
    *, broker: dramatiq.Broker | None = None, threads: int = EMBEDDED_WORKER_THREADS
) -> dramatiq.Worker:
    """Start a Dramatiq worker in this process on `broker` (default: the project's broker)."""
    # Import every app's tasks module, as rundramatiq does, so each actor's queue has a consumer.
    autodiscover_modules("tasks")
    worker = dramatiq.Worker(broker or dramatiq.get_broker(), worker_threads=threads)
    worker.start()
    return worker


def start_embedded_scheduler() -> None:
    """Run the `@cron` sweeps (dramatiq_crontab's scheduler) on a thread, as `manage.py crontab` does in production."""
    from dramatiq_crontab import scheduler

    autodiscover_modules("tasks")
    threading.Thread(target=scheduler.start, name="embedded-scheduler", daemon=True).start()


class Command(OneLineErrors, StaticFilesRunserverCommand):
    help = (
        "Start the development web server (serving static files too). With EMBEDDED_WORKER on (the default "
        "when REDIS_URL is unset) it also runs a Dramatiq worker and the scheduled sweeps in the same process, so "
        "the in-memory broker's messages (replies to send, events to handle) are processed without `rundramatiq` "
        "and `crontab`."
    )

    def inner_run(self, *args: Any, **options: Any) -> None:
        # inner_run is what the autoreloader's child process runs: the worker lives and dies with it.
        if not settings.EMBEDDED_WORKER:
            super().inner_run(*args, **options)
            return
        worker = start_embedded_worker()
        start_embedded_scheduler()
        self.stdout.write(f"Embedded Dramatiq worker ({EMBEDDED_WORKER_THREADS} threads) and scheduler started.")
        try:
            super().inner_run(*args, **options)
        finally:
            from dramatiq_crontab import scheduler

            scheduler.shutdown(wait=False)
            worker.stop(timeout=STOP_TIMEOUT_MS)
