"""Workers for live streams: the announcement of a scheduled stream, each winner's one invoice after a stream ends,
and the sweep behind it."""

from datetime import timedelta

import dramatiq
from django.conf import settings
from django.utils import timezone
from dramatiq import Retry
from dramatiq_crontab import cron

from live.announcements import announce_stream as announce
from live.invoices import send_stream_invoices as invoice_stream
from live.models import Stream
from philia import jobs

# How soon a stream whose last claims are still being settled is looked at again.
SETTLING_RECHECK_MS = 5_000


class ClaimsStillSettling(Retry):
    """A claimed piece of the stream is not settled yet: its winner is not known, so no invoice is made."""


# 80 retries at 5 s cover DROP_SETTLE_MAX_WAIT_SECONDS (300) with room; past them the sweep sends the job again.
# The time limit covers one Checkout Session per winner (STRIPE_TIMEOUT_SECONDS each); a run cut short is
# finished by the next, which makes nothing twice.
@dramatiq.actor(max_retries=80, time_limit=600_000)
def send_stream_invoices(stream_id: int) -> None:
    """Sent once a stream ends: each winner gets one order of every piece won and one message. Idempotent."""
    if invoice_stream(stream_id=stream_id) is None:
        raise ClaimsStillSettling("the stream's last claims are still settling", delay=SETTLING_RECHECK_MS)


@cron("*/5 * * * *")
@dramatiq.actor(max_retries=0, time_limit=60_000)
def sweep_stream_invoices() -> None:
    """Safety net for a lost invoice job: streams that ended within LIVE_PAY_HOURS and are not invoiced yet."""
    since = timezone.now() - timedelta(hours=settings.LIVE_PAY_HOURS)
    waiting = Stream.objects.filter(status=Stream.Status.ENDED, invoices_sent_at__isnull=True, ended_at__gte=since)
    for stream_id in waiting.values_list("pk", flat=True):
        jobs.enqueue("send_stream_invoices", stream_id, unless_sent="the next sweep sends it")


@dramatiq.actor(max_retries=5, min_backoff=2_000, max_backoff=60_000, time_limit=300_000)
def announce_stream(stream_id: int) -> None:
    """Tell the customers who asked to hear about lives that this stream is coming (once each, retried safely)."""
    announce(stream_id=stream_id)
