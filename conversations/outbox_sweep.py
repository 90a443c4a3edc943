"""The outbox's safety nets, run by the minute sweep (`conversations.tasks.requeue_stale_outbox_job`): queued rows
whose job was lost get a new one; rows left in `sending` by a worker that stopped mid-call are flagged for the owner
and never resent."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from conversations.models import Message
from conversations.queueing import send_on_commit
from conversations.selectors import stuck_sending_messages
from notifications.services import notify_send_failed

logger = logging.getLogger(__name__)


def requeue_stale_outbox(*, older_than: timedelta | None = None, limit: int = 500) -> int:
    """Re-enqueue queued rows whose job was lost (the broker was down at commit, the worker died). Rows never
    tried wait OUTBOX_STALE_QUEUED_SECONDS (or `older_than`); rows waiting for a retry after TikTok said
    "later" wait OUTBOX_STALE_RETRY_SECONDS, longer than send_message's largest backoff, so their backoff is
    kept. Safe: only one job can move a row from `queued` to `sending`."""
    now = timezone.now()
    if older_than is not None:
        fresh_cutoff = retry_cutoff = now - older_than
    else:
        fresh_cutoff = now - timedelta(seconds=settings.OUTBOX_STALE_QUEUED_SECONDS)
        retry_cutoff = now - timedelta(seconds=settings.OUTBOX_STALE_RETRY_SECONDS)
    stale = list(
        Message.objects.filter(state=Message.State.QUEUED)
        .filter(Q(attempts=0, updated_at__lt=fresh_cutoff) | Q(attempts__gt=0, updated_at__lt=retry_cutoff))
        .order_by("pk")
        .values_list("pk", "customer_id")[:limit]
    )
    if not stale:
        return 0
    with transaction.atomic():
        # Touch them so the next sweep leaves them alone while these jobs run.
        Message.objects.filter(pk__in=[pk for pk, _ in stale], state=Message.State.QUEUED).update(updated_at=now)
        for message_id, customer_id in stale:
            send_on_commit(message_id=message_id, customer_id=customer_id)
    logger.warning("queued outbound messages re-enqueued", extra={"count": len(stale), "first": stale[0][0]})
    return len(stale)


def flag_stuck_sending(*, limit: int = 500) -> int:
    """Tell the owner about rows left in `sending` for over OUTBOX_STUCK_SENDING_SECONDS: a worker stopped
    between `sending` and TikTok's answer, so whether the customer got it is unknown. Never resent; one
    notification per row, however often the sweep runs. Returns how many rows are stuck."""
    stuck = list(stuck_sending_messages().select_related("customer").order_by("pk")[:limit])
    for message in stuck:
        with transaction.atomic():
            notify_send_failed(
                message_id=message.pk,
                customer_id=message.customer_id,
                customer_name=str(message.customer),
                state="stuck in sending",
                reason="the worker stopped during the call to TikTok; check the conversation in TikTok, "
                "it is never resent",
            )
    if stuck:
        logger.warning("outbound messages stuck in sending", extra={"count": len(stuck), "first": stuck[0].pk})
    return len(stuck)
