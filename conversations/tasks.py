"""Workers for the outbox: send one message, give up on one, sweep for lost jobs."""

import logging
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

import dramatiq
from django.conf import settings
from dramatiq.middleware import CurrentMessage
from dramatiq_crontab import cron

from conversations.models import Message
from conversations.outbox import (
    ConfirmLater,
    CustomerBusy,
    SendLater,
    confirm_unconfirmed_send,
    deliver_sending,
    give_up_sending,
    record_sent,
    send_outbound_message,
)
from conversations.outbox_sweep import flag_stuck_sending, requeue_stale_outbox
from conversations.queueing import Outgoing
from philia import jobs
from philia.queues import OUTBOX_QUEUE, SEND_PRIORITY
from philia.sweeps import record_sweep
from tiktok.client import TikTokRejected
from tiktok.limits import SendSlot, book_send, customer_send_interval_ms

logger = logging.getLogger(__name__)


@dramatiq.actor(max_retries=0, time_limit=30_000)
def give_up_message(message_data: dict[str, Any], retry_info: dict[str, Any]) -> None:
    """send_message ran out of retries: mark its row failed (if it is still waiting)."""
    message_id = message_data["args"][0]
    give_up_sending(message_id=message_id, retries=int(retry_info.get("retries", 0)))


# A try TikTok did not take is retried after `retry_delay_ms` of the row's tries (2 s doubling, at most 5 minutes),
# and the row is failed after OUTBOX_MAX_ATTEMPTS tries: the row counts, not the job, because a send whose answer
# timed out comes back as a new job (confirm_send). The job's own retries (same backoff) are for anything else
# going wrong (the database away); running out of them fails the row as well.
@dramatiq.actor(
    queue_name=OUTBOX_QUEUE,
    priority=SEND_PRIORITY,
    max_retries=max(settings.OUTBOX_MAX_ATTEMPTS, 8),
    min_backoff=2_000,
    max_backoff=300_000,
    time_limit=60_000,
    throws=(TikTokRejected,),
    on_retry_exhausted=give_up_message.actor_name,
)
def send_message(message_id: int, customer_id: str | None = None, booked: int = 0) -> None:
    """Send the customer's next outbound message (queued → sending → sent/failed/blocked/dry_run) in their share
    of the sends, within the shop's rate. Tried again after a delay set by the row's tries when TikTok did not take
    it (`SendLater`).

    Sends are shared between customers: each books its slot first (`tiktok.limits.book_send`: its customer's next
    slot, at most half the shop's rate for one customer, then the shop's next) and waits for it off the queue when
    it is not now, so a customer with many replies waiting never holds up a reply to anyone else for more than
    about one slot. Each job sends its customer's oldest message waiting (`send_outbound_message`): their order
    holds whichever job runs first. `booked` says what this job booked already (1: its customer's slot, 2: both;
    True in jobs queued before: the customer's). `customer_id` is None in jobs queued before sends were shared."""
    current = CurrentMessage.get_current_message()
    retried = current is not None and current.options.get("retries", 0) > 0
    # A retry runs with the arguments of the first try: its slot, long gone, is booked again.
    send_in_turn(message_id, customer_id, booked=0 if retried else int(booked), in_job=True)


def send_now_or_later(outgoing: list[Outgoing]) -> None:
    """Send these messages from the job that queued them (`conversations.queueing.sent_here`), each in its slot: one
    written straight into `sending` is delivered when its slot comes; one that must wait longer, or TikTok did not
    take, goes to a send job as `send_message` would have put it."""
    for each in outgoing:
        try:
            if each.sending is not None:
                if each.slot is not None:
                    each.slot.wait()
                deliver = partial(
                    deliver_sending,
                    message=each.sending,
                    conversation_id=each.conversation_id,
                    access_token=each.access_token,
                )
                _sent_or_handed_on(deliver, message_id=each.message_id, customer_id=each.customer_id)
            else:
                send_in_turn(each.message_id, each.customer_id, slot=each.slot)
        except Exception:
            logger.exception(
                "reply not sent by its handling job; handed to a send job", extra={"message_id": each.message_id}
            )
            jobs.enqueue("send_message", each.message_id, each.customer_id, unless_sent="the outbox sweep sends it")


def send_in_turn(
    message_id: int, customer_id: str | None, *, booked: int = 0, slot: SendSlot | None = None, in_job: bool = False
) -> None:
    """`send_message`'s work: book the send's slot (`book_send`, unless `booked` both already, or `slot` is the one
    booked for it) and send in it; whatever must wait goes to a send job with the delay it needs, without spending
    the job's retries (a long wait never fails a message TikTok was never asked about; the row's state machine makes
    an extra job harmless). `in_job`: running as `send_message` for `message_id`, whose next try is the job's own
    retry."""
    if slot is None and booked < 2:
        slot = book_send(customer_id, booked=booked)
    if slot is not None and slot.wait_ms > 0:
        send_message.send_with_options(args=(message_id, customer_id, slot.booked), delay=slot.wait_ms)
        return
    _sent_or_handed_on(
        partial(send_outbound_message, message_id=message_id),
        message_id=message_id,
        customer_id=customer_id,
        in_job=in_job,
    )


def _sent_or_handed_on(
    send: Callable[[], object], *, message_id: int, customer_id: str | None, in_job: bool = False
) -> None:
    """`send()`, and whatever must wait handed to the job that does it: a send job (or the job's own retry,
    `in_job`), or the look-up of a send whose answer was lost."""
    try:
        send()
    except CustomerBusy:
        # One send at a time per customer: come back once the one in flight has gone.
        send_message.send_with_options(args=(message_id, customer_id, 0), delay=customer_send_interval_ms())
    except SendLater as later:
        # Not an error (logged as a warning already): the row's next try comes after the backoff its tries set, and
        # books a slot again: the job's own retry (the Retries middleware), or a job of its own for another row.
        if in_job and later.message_id == message_id:
            raise dramatiq.Retry(str(later), delay=later.delay_ms) from later
        send_message.send_with_options(args=(later.message_id, customer_id, 0), delay=later.delay_ms)
    except ConfirmLater as unconfirmed:
        # TikTok may have taken it: not sent again until its echo or the conversation says it is not there.
        confirm_send.send_with_options(
            args=(unconfirmed.message_id,), delay=int(settings.OUTBOX_UNCONFIRMED_CHECK_SECONDS * 1000)
        )


# Retried while the database is away (1 s doubling to 30 s, 20 times: about ten minutes of outage).
@dramatiq.actor(queue_name=OUTBOX_QUEUE, priority=SEND_PRIORITY, max_retries=20, min_backoff=1_000, max_backoff=30_000)
def record_sent_later(message_id: int, tiktok_message_id: str, sent_at: str, later_parts: bool) -> None:
    """TikTok took this message while the database was unavailable: write down that it was sent (once the
    database is back; until then this job fails and is retried). A row no longer `sending` is left as it is."""
    message = Message.objects.filter(pk=message_id).first()
    if message is None:
        return
    record_sent(
        message=message,
        tiktok_message_id=tiktok_message_id or None,
        sent_at=datetime.fromisoformat(sent_at),
        later_parts=later_parts,
    )


# A look-up TikTok fails is retried (2 s doubling, at most 1 minute); after that the row stays in `sending`
# and the outbox sweep flags it for the owner (never resent blindly).
@dramatiq.actor(
    queue_name=OUTBOX_QUEUE,
    priority=SEND_PRIORITY,
    max_retries=6,
    min_backoff=2_000,
    max_backoff=60_000,
    time_limit=60_000,
    throws=(TikTokRejected,),
)
def confirm_send(message_id: int) -> None:
    """A send whose answer timed out: sent if its echo came or TikTok lists it in the conversation, else queued
    to go again."""
    confirm_unconfirmed_send(message_id=message_id)


@cron("* * * * *")
@dramatiq.actor(max_retries=0, time_limit=60_000)
def requeue_stale_outbox_job() -> None:
    """Safety net: queued messages whose job was lost get a new one; rows stuck in `sending` (a worker
    stopped mid-call) are flagged for the owner, never resent."""
    requeue_stale_outbox()
    flag_stuck_sending()
    record_sweep("requeue_stale_outbox_job")
