"""Django's PostgreSQL backend with a lighter health check.

With CONN_HEALTH_CHECKS, Django sends `SELECT 1` before a kept connection serves a new request or job: a round trip
for every webhook and every DM's job, though a busy process's connection was seen working a moment ago. Here the
check is made only when the connection has been idle for HEALTH_CHECK_AFTER_IDLE_SECONDS or more — when PostgreSQL
may have restarted or a firewall dropped it meanwhile. A connection that broke within that time fails its next
statement instead, and Django closes it once the request or job ends (an error on it makes it check itself then):
the webhook answers 503 and TikTok delivers again; a job is retried.
"""

import time
from typing import Any

from django.db.backends.postgresql import base

HEALTH_CHECK_AFTER_IDLE_SECONDS = 5.0


class DatabaseWrapper(base.DatabaseWrapper):
    _last_used = 0.0  # time.monotonic() of the last cursor made on this connection

    def _cursor(self, *args: Any, **kwargs: Any) -> Any:
        self._last_used = time.monotonic()
        return super()._cursor(*args, **kwargs)  # type: ignore[misc]  # not in django-stubs

    def close_if_unusable_or_obsolete(self) -> None:
        super().close_if_unusable_or_obsolete()
        if self.connection is not None and time.monotonic() - self._last_used < HEALTH_CHECK_AFTER_IDLE_SECONDS:
            self.health_check_done = True  # used just now: no SELECT 1 before the next statement
