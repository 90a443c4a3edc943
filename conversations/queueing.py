"""Putting messages in the outbox: the assistant's replies, staff replies from the admin, notices. Each row is
handed to a worker once its transaction commits; sending it is `conversations.outbox`."""

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists
from django.db.models.functions import Coalesce
from django.utils import timezone

from conversations.customers import pause_for_owner
from conversations.models import Customer, Message
from conversations.selectors import (
    outbound_block_reason,
    outbox_ahead_of_a_new_message,
    second_message_from_customer,
    sent_since_their_message,
    stuck_sending_after,
)
from philia import jobs
from philia.db import STAND_IN_TIME, Along, CompiledQuery, insert_row
from tiktok.credentials import current_access_token
from tiktok.limits import SendSlot, book_send

logger = logging.getLogger(__name__)


MAX_TEXT_LENGTH = 6000  # TikTok's limit for one text message

# A reply whose send slot is at most this far off is written into `sending` and sent by its handling job once the
# slot comes (the job's thread waits, the conversation is free): a delayed send job would cost a second job's
# round trips and CPU for a wait of a few shop slots. Longer waits go to a send job, off the worker's threads.
SEND_WAIT_IN_JOB_MS = 250


@dataclass(frozen=True)
class OutboundImage:
    """A photo to send as an image message: the item photo's id and its file's name in Django's storage."""

    photo_id: int
    file_name: str


def queue_outbound_message(
    *,
    customer: Customer,
    text: str = "",
    role: str,
    in_reply_to: Message | None = None,
    image: OutboundImage | None = None,
    ai_model: str = "",
    prompt_tokens: int = 0,
    completion_tokens: int = 0,
    replayed: bool = True,
    slot: SendSlot | None = None,
    along: Along | None = None,
) -> Message:
    """Put a message in the outbox (`queued`) and send it once the surrounding transaction commits.

    A text message, or with `image` an image message (no text: TikTok sends one image per message). Parts of
    one answer go out in the order they were queued (the outbox sends a part only once the earlier ones are
    settled), so queue an answer's images before its text. Text longer than TikTok's 6000 characters is cut to
    fit (ending in "…"). An assistant reply is unique per inbound message (its text, and each photo once):
    queueing it again returns the first — unless the caller knows the message has no reply yet (`replayed=False`,
    the intake with the conversation's mutex held), which spares a savepoint. `slot`: the send slot the handling
    job booked for this text (`send_slot_here`): see `_sends_it_itself`. `along`: another write of the caller's
    transaction, made in the statement that inserts the message when that takes no savepoint (else left to run).
    """
    message = _outbound_row(
        customer_id=customer.pk,
        text=text,
        role=role,
        in_reply_to=in_reply_to,
        image=image,
        ai_model=ai_model,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
    )
    message.customer = customer
    if slot is not None and image is None and _sends_it_itself(message, slot=slot, along=along):
        return message
    if role != Message.Role.ASSISTANT or in_reply_to is None or not replayed:
        insert_row(message, along=along)  # no savepoint: nothing to fall back on
    else:
        try:
            with transaction.atomic():
                message.save(force_insert=True)
        except IntegrityError:
            return Message.objects.get(
                in_reply_to=in_reply_to, role=Message.Role.ASSISTANT, image_name=message.image_name
            )
    send_on_commit(message_id=message.pk, customer_id=message.customer_id, slot=slot)
    return message


# The customer row, locked FOR NO KEY UPDATE as the outbox locks it, with what its rules read: whether the customer
# has written twice and what the shop sent since their message (the quota), and whether a message of theirs is
# ahead in the outbox. Compiled once.
_LOCKED_FOR_A_REPLY = CompiledQuery(
    lambda customer_id, in_flight_since: (
        Customer.objects.select_for_update(no_key=True, of=("self",))
        .filter(pk=customer_id)
        .annotate(
            wrote_again=Exists(second_message_from_customer()),
            sent_since=Coalesce(sent_since_their_message(), 0),
            busy=Exists(outbox_ahead_of_a_new_message(in_flight_since=in_flight_since)),
        )
    ),
    customer_id="\x00customer",
    in_flight_since=STAND_IN_TIME,
)


def _sends_it_itself(message: Message, *, slot: SendSlot, along: Along | None = None) -> bool:
    """The handling job's reply, written straight into `sending` (attempts 1) when it may go now — its slot is now or
    within SEND_WAIT_IN_JOB_MS, nothing else of the customer's is ahead in the outbox, and `outbound_block_reason`
    finds none, all read with the customer row locked FOR NO KEY UPDATE as the outbox reads them — and sent by the
    job once this commits (`Outgoing.sending`): one statement and one write after the send, where the outbox's own
    look takes a transaction of five. Committed in `sending` before the call, so never sent twice. False (nothing
    written) when anything else holds: the outbox's way then decides."""
    here = _sent_here.get()
    if slot.wait_ms > SEND_WAIT_IN_JOB_MS or here is None or not settings.TIKTOK_BUSINESS_ID:
        return False
    access_token = current_access_token()
    if not access_token:
        return False
    now = timezone.now()
    found: list[Any] = _LOCKED_FOR_A_REPLY.run(
        customer_id=message.customer_id, in_flight_since=now - stuck_sending_after()
    )
    customer = found[0] if found else None
    if customer is None or customer.busy:
        return False
    rules = {"written_more_than_once": customer.wrote_again, "sent_since_their_message": customer.sent_since}
    if outbound_block_reason(message=message, customer=customer, now=now, **rules):
        return False
    message.state, message.attempts, message.sending_started_at = Message.State.SENDING, 1, now
    insert_row(message, along=along)
    sending = Outgoing(message.pk, message.customer_id, slot, message, customer.conversation_id, access_token)
    transaction.on_commit(partial(here.append, sending))
    return True


def queue_replies(*, replies: Sequence[tuple[Message, str]]) -> list[Message]:
    """The assistant's text reply to each of these inbound messages, queued as `queue_outbound_message` queues
    one, but in one INSERT (a drop's hundreds of answers; each goes to its inbound message's `customer_id`).
    Sent once the surrounding transaction commits, in the order given. A message that has a reply already
    keeps it (then each is queued on its own)."""
    rows = [
        _outbound_row(customer_id=inbound.customer_id, text=text, role=Message.Role.ASSISTANT, in_reply_to=inbound)
        for inbound, text in replies
    ]
    try:
        with transaction.atomic():
            queued = Message.objects.bulk_create(rows)
    except IntegrityError:
        return [
            queue_outbound_message(
                customer=inbound.customer, text=text, role=Message.Role.ASSISTANT, in_reply_to=inbound
            )
            for inbound, text in replies
        ]
    for message in queued:
        send_on_commit(message_id=message.pk, customer_id=message.customer_id)
    return queued


def _outbound_row(
    *,
    customer_id: str,
    text: str,
    role: str,
    in_reply_to: Message | None,
    image: OutboundImage | None = None,
    ai_model: str = "",
    prompt_tokens: int = 0,
    completion_tokens: int = 0,
) -> Message:
    """An outbox row for `queue_outbound_message` / `queue_replies`, not saved: its text checked and cut to fit."""
    text = "" if image is not None else text.strip()
    if image is None and not text:
        raise ValueError("An outbound message needs text.")
    if image is not None and not image.file_name:
        raise ValueError("An image message needs a stored photo file.")
    if len(text) > MAX_TEXT_LENGTH:
        logger.warning("outbound text truncated", extra={"customer": customer_id, "length": len(text)})
        text = text[: MAX_TEXT_LENGTH - 1] + "…"
    return Message(
        customer_id=customer_id,
        role=role,
        direction=Message.Direction.OUTBOUND,
        state=Message.State.QUEUED,
        content_type="image" if image is not None else "text",
        text=text,
        image_name=image.file_name if image is not None else "",
        photo_id=image.photo_id if image is not None else None,
        in_reply_to=in_reply_to,
        ai_model=ai_model,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
    )


@dataclass(frozen=True)
class Outgoing:
    """A message the job that queued it sends itself (`sent_here`), once its transaction has committed."""

    message_id: int
    customer_id: str
    slot: SendSlot | None = None  # the send slot the job booked for it already, if any
    sending: Message | None = None  # written straight into `sending` (`_sends_it_itself`): to deliver, no look
    conversation_id: str = ""
    access_token: str = ""


# The messages queued while a job that sends them itself runs (`sent_here`), by thread: none outside one.
_sent_here: ContextVar[list[Outgoing] | None] = ContextVar("sent_here", default=None)


@contextmanager
def sent_here() -> Iterator[list[Outgoing]]:
    """Within the block, a message queued for sending now is not handed to a send job: an `Outgoing` is added, once
    its transaction commits, to the list this yields, and the caller sends it (or hands it to a job) after the block
    — the handling job sends a reply itself when window, quota and rate allow, with no second job. A caller that dies
    before sending leaves the row `queued` (the outbox sweep enqueues it) or `sending` (flagged as stuck)."""
    outgoing: list[Outgoing] = []
    token = _sent_here.set(outgoing)
    try:
        yield outgoing
    finally:
        _sent_here.reset(token)


def send_slot_here(customer_id: str) -> SendSlot | None:
    """Inside `sent_here`, the send slot of a reply about to be queued (booked now, before its transaction), so
    the job may send it itself (`queue_outbound_message`'s `slot`); None outside, where a send job books its own."""
    return book_send(customer_id) if _sent_here.get() is not None else None


def send_on_commit(
    *, message_id: int, customer_id: str, delay_ms: int | None = None, slot: SendSlot | None = None
) -> None:
    """Hand a queued message to a worker (`send_message`) once the transaction commits, after `delay_ms` if given
    (or, inside `sent_here` and with no delay, to the job that runs it, with the `slot` it booked if any). A broker
    outage is logged: the outbox sweep re-enqueues it."""
    here = _sent_here.get()
    if here is not None and delay_ms is None:
        transaction.on_commit(partial(here.append, Outgoing(message_id, customer_id, slot)))
        return
    jobs.enqueue_on_commit(
        "send_message", message_id, customer_id, delay_ms=delay_ms, unless_sent="the outbox sweep sends it"
    )


def reply_as_staff(*, customer: Customer, text: str) -> Message:
    """A reply typed by staff in the admin: through the outbox like every other send. A person has taken
    over, so the assistant also pauses for BOT_PAUSE_AFTER_OWNER_REPLY hours (never shortening a pause), and the
    request for a person the owner saw (the one on `customer`) is answered: its "waiting for a person" flag is
    cleared (the bot stays paused until resumed). A conditional UPDATE: a request made since is left waiting."""
    seen_request = customer.handoff_requested_at
    with transaction.atomic():
        message = queue_outbound_message(customer=customer, text=text, role=Message.Role.STAFF)
        pause_for_owner(customer=customer, since=timezone.now())
        if seen_request is not None and Customer.objects.filter(
            pk=customer.pk, handoff_requested_at=seen_request
        ).update(handoff_requested_at=None, updated_at=timezone.now()):
            customer.handoff_requested_at = None
    logger.info("staff reply queued", extra={"customer": customer.pk, "message_id": message.pk})
    return message
