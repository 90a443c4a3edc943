"""What the operator sees of the running shop (docs/operations.md):

- `ids.py`: the ids of the work in hand (the webhook event, order, conversation a job or a request is about), put
  on every log line it writes and every error it reports;
- `logs.py`: log lines as readable text or, with LOG_FORMAT=json, one JSON object a line;
- `sentry.py`: errors to Sentry, imported (and `sentry_sdk` with it) only when SENTRY_DSN is set;
- `metrics.py`: `GET /metrics` in Prometheus' text format, read from the database and Redis at scrape time.
"""

import sys


def report_errors_to_sentry(
    *, dsn: str, environment: str, release: str, send_pii: bool, traces_sample_rate: float
) -> None:
    """Start Sentry with `dsn`; without one, keep `sentry_sdk` out of the process entirely."""
    if not dsn:
        # No Sentry, not even its import: dramatiq-crontab imports sentry_sdk whenever it is installed (to wrap
        # every scheduled job in a Sentry Crons monitor). None in sys.modules makes that import fail, as it
        # expects it may.
        sys.modules.setdefault("sentry_sdk", None)  # type: ignore[arg-type]  # typeshed allows modules only
        return
    from philia.observability.sentry import start_sentry

    start_sentry(
        dsn=dsn, environment=environment, release=release, send_pii=send_pii, traces_sample_rate=traces_sample_rate
    )
