"""Telling customers a stream is coming: one "we go live at …" message each to those who asked to hear about lives
(marketing consent; STOP withdraws it) and wrote within TikTok's reply window; nobody else hears anything.

Sent once per stream and customer: an `Announcement` row (unique per stream and customer) and its queued outbound
message are written in one transaction, so a retried or repeated job finds the row and tells nobody twice.
"""

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from conversations import selectors as conversation_selectors
from conversations import services as conversation_services
from conversations.models import Message
from live.models import Announcement, Stream

logger = logging.getLogger(__name__)


def announcement_text(stream: Stream, *, now: datetime) -> str:
    """ "We go live at Fri 11 Dec, 19:00 UTC: Friday finds!" (or "We're live now" once it is, or its time passed)."""
    cue = 'DM "mine" while a piece is on screen to claim it.'
    if stream.status == Stream.Status.LIVE or stream.scheduled_at <= now:
        return f"We're live now on TikTok: {stream.title}! {cue}"
    local = timezone.localtime(stream.scheduled_at)
    return f"We go live at {local:%a %d %b, %H:%M} {local.tzname()}: {stream.title}! {cue}"


def announce_stream(*, stream_id: int, now: datetime | None = None) -> int:
    """Queue the stream's announcement to every customer who may hear of it now and has not yet; how many were
    told this time. A stream gone or ended is announced to nobody. Idempotent: each customer's announcement row
    and its message commit together, and the row's unique constraint turns a concurrent second run away."""
    now = now or timezone.now()
    stream = Stream.objects.filter(pk=stream_id).first()
    if stream is None or stream.status == Stream.Status.ENDED:
        return 0
    text = announcement_text(stream, now=now)
    customers = conversation_selectors.reachable_with_news(now=now).exclude(announcements__stream=stream).order_by("pk")
    told = 0
    for customer in customers:
        try:
            with transaction.atomic():
                announcement = Announcement.objects.create(stream=stream, customer=customer)
                announcement.message = conversation_services.queue_outbound_message(
                    customer=customer, text=text, role=Message.Role.ASSISTANT
                )
                announcement.save(update_fields=["message"])
        except IntegrityError:
            continue  # announced by a run of the job at the same moment
        told += 1
    logger.info("stream announced", extra={"stream": stream.pk, "customers": told})
    return told
