"""Errors to Sentry. Imported by the settings only when SENTRY_DSN is set, so a shop without Sentry never loads
`sentry_sdk` (no import cost, no thread).

Every process that loads the settings reports: gunicorn (Django's integration: unhandled exceptions of requests),
`rundramatiq` (Dramatiq's: a job that raises, on each attempt) and `manage.py crontab`; in all of them a
`logger.error` / `logger.exception` record is an event too, and INFO records are its breadcrumbs. Events carry
the environment, the release and, as tags, the ids of the work in hand (`ids.py`).

Customers' words are personal data. Unless SENTRY_SEND_PII is true no request body, no local variable, no
cookie or address leaves, and the fields in PERSONAL_FIELDS are scrubbed wherever they appear in an event
(log records' `extra=`, breadcrumbs). Sending happens on the SDK's own thread with a bounded queue: a Sentry that
is slow or unreachable costs the shop nothing but the events it misses.
"""

import logging

import sentry_sdk
from django.core.exceptions import ImproperlyConfigured
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.dramatiq import DramatiqIntegration
from sentry_sdk.integrations.logging import LoggingIntegration, ignore_logger
from sentry_sdk.scrubber import DEFAULT_DENYLIST, EventScrubber
from sentry_sdk.utils import BadDsn, Dsn

from philia.observability.ids import on_bind

# Keys whose values are what a customer wrote or who they are, in the shop's log fields and models: scrubbed from
# every event unless SENTRY_SEND_PII is true. (Ids of rows and conversations are not personal and stay.)
PERSONAL_FIELDS = [
    "text",
    "body",
    "raw_body",
    "payload",
    "content",
    "customer",
    "customer_id",
    "winner",
    "held_by",
    "username",
    "display_name",
    "name",
    "from",
    "to",
    "email",
    "phone",
    "address",
    "shipping_address",
    "tracking_number",
    "dedupe_key",
    "prompt",
    "messages",
]
# Loggers whose ERROR records are not events: Dramatiq's worker logs every failed job, which the Dramatiq integration
# already reports with the job; Django logs every request with a Host not in ALLOWED_HOSTS (scanners), which is
# noise, not a failure of the shop.
IGNORED_LOGGERS = ("dramatiq.worker.WorkerThread", "django.security.DisallowedHost")


def check_dsn(dsn: str) -> None:
    """Raise ImproperlyConfigured, in one line, when `dsn` is not a Sentry DSN."""
    try:
        Dsn(dsn)
    except BadDsn as error:
        raise ImproperlyConfigured(
            f"SENTRY_DSN is not a Sentry DSN like https://<key>@<host>/<project id> ({error})."
        ) from None


def start_sentry(*, dsn: str, environment: str, release: str, send_pii: bool, traces_sample_rate: float) -> None:
    """Start reporting to Sentry in this process. Called from the settings, before the apps load (the Dramatiq
    integration adds its middleware to the broker when the broker is made)."""
    check_dsn(dsn)
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        # Unset: the SDK's own guess, the git commit of the working directory (or a CI's commit variable).
        release=release or None,
        integrations=[
            DjangoIntegration(),
            DramatiqIntegration(),
            LoggingIntegration(level=logging.INFO, event_level=logging.ERROR),
        ],
        send_default_pii=send_pii,
        include_local_variables=send_pii,
        max_request_body_size="medium" if send_pii else "never",
        event_scrubber=EventScrubber(
            denylist=DEFAULT_DENYLIST + ([] if send_pii else PERSONAL_FIELDS),
            recursive=True,
            send_default_pii=send_pii,
        ),
        traces_sample_rate=traces_sample_rate or None,
    )
    for name in IGNORED_LOGGERS:
        ignore_logger(name)
    # Tags live on the isolation scope that each request and each job gets of its own.
    on_bind(sentry_sdk.set_tags)
