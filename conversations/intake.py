"""What each TikTok event means for the shop's conversations: customers, their messages, read receipts.

The worker (`assistant.tasks.handle_event`) calls `handle_conversation_events` with the conversation's mutex
held, and passes in who answers a customer (`assistant.services.answer`): conversations never imports
the assistant. The event's own status (processing, done, failed) changes through `tiktok.services`.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from django.conf import settings
from django.db import transaction

from conversations import services as conversation_services
from conversations.models import Customer, Message
from conversations.queueing import send_slot_here
from conversations.selectors import assistant_reply_to
from conversations.services import OutboundImage
from philia.db import Along, run_along
from tiktok.envelopes import MARK_READ, RECEIVE_MESSAGE, RECEIVE_MESSAGE_EU, SEND_MESSAGE, Envelope, parse_envelope
from tiktok.limits import SendSlot
from tiktok.models import WebhookEvent
from tiktok.services import (
    EventNotUsable,
    claim_later_messages,
    claim_waiting_events,
    fail_webhook_event,
    finish_webhook_event,
    finish_webhook_events,
    finishing_webhook_events,
)

logger = logging.getLogger(__name__)

EU_NOTE = (
    "The customer wrote from the EEA, Switzerland or the UK: TikTok does not pass on the content "
    "and the message cannot be answered through the API."
)


class Reply(Protocol):
    """What the answerer gives back: the text to queue, the photos to send before it, and what it cost."""

    @property
    def text(self) -> str: ...
    @property
    def images(self) -> Sequence[OutboundImage]: ...
    @property
    def ai_model(self) -> str: ...
    @property
    def prompt_tokens(self) -> int: ...
    @property
    def completion_tokens(self) -> int: ...


class Answerer(Protocol):
    """Decides the reply to a customer's message — with `earlier`, the bubbles they wrote just before it, answered
    together as one turn — or None to stay silent. Called outside any transaction."""

    def __call__(self, *, customer: Customer, message: Message, earlier: Sequence[Message] = ()) -> Reply | None: ...


# The most bubbles one turn reads. In a longer flood the earlier ones are recorded (the owner sees them all) and
# the turn answers the latest.
MAX_TURN_BUBBLES = 20
# How many times a turn takes in bubbles that came while it was being answered before it replies all the same.
MAX_TURN_EXTENSIONS = 3


@dataclass
class Burst:
    """A customer's messages that waited together, recorded, to be answered as one turn; its events are done
    when its reply is queued."""

    events: list[WebhookEvent] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)  # the latest MAX_TURN_BUBBLES, in order
    new: bool = False  # one of them was recorded just now: no earlier run can have answered it


def handle_conversation_events(*, up_to_event_id: int, answer: Answerer) -> int:
    """Handle the conversation's waiting events in arrival order, up to and including this one.

    The caller holds the conversation's mutex, so no two workers interleave one conversation, and an
    event whose own job was delayed is still handled in its place. The customer's messages among them are one
    burst, answered as one turn; messages that come while it is being answered join it (up to
    MAX_TURN_EXTENSIONS times). One that fails does not hold up the others: it is tried again on its own
    (`tiktok.services.fail_webhook_event`). `answer` decides the replies. Returns how many events ran.
    """
    events = claim_waiting_events(up_to_event_id=up_to_event_id)
    handled = len(events)
    burst = None
    for extensions_left in reversed(range(MAX_TURN_EXTENSIONS + 1)):
        burst = _handle_in_order(events, answer=answer, burst=burst)
        if burst is None or _reply_to(burst, answer=answer, may_extend=extensions_left > 0):
            break
        events = claim_later_messages(conversation_id=burst.events[-1].conversation_id, after_event_id=events[-1].pk)
        handled += len(events)
        for message in burst.messages:
            message.recorded_now = False  # acted on already in this job: replay, never act twice
    return handled


def _handle_in_order(events: Sequence[WebhookEvent], *, answer: Answerer, burst: Burst | None) -> Burst | None:
    """Handle `events` in order, gathering the customer's messages into `burst` (returned, not yet answered). The
    owner writing in the app after some of them keeps the assistant silent about those."""
    for event in events:
        try:
            envelope = parse_envelope(event.raw_body.encode("utf-8"))
            event.raw_body = ""  # read: a flood's bodies are not kept in memory
            if _from_customer(envelope):
                burst = _recorded(burst or Burst(), event=event, envelope=envelope)
            elif _handle_event(event=event, envelope=envelope) and burst is not None:
                finish_webhook_events(events=burst.events)  # the owner wrote after them: not answered
                burst = None
        except Exception as exc:
            fail_webhook_event(event=event, error=exc)
    return burst


def _from_customer(envelope: Envelope) -> bool:
    return (
        envelope.event == RECEIVE_MESSAGE
        and bool(settings.TIKTOK_BUSINESS_ID)
        and envelope.user_openid == settings.TIKTOK_BUSINESS_ID
        and envelope.sender_id != settings.TIKTOK_BUSINESS_ID
    )


def _handle_event(*, event: WebhookEvent, envelope: Envelope) -> bool:
    """Everything but a customer's message; True when it was the owner writing to the customer in the app."""
    if not settings.TIKTOK_BUSINESS_ID or envelope.user_openid != settings.TIKTOK_BUSINESS_ID:
        # A replayed event that was ignored at intake is still not ours.
        finish_webhook_event(event=event, outcome="For another business (user_openid does not match).")
    elif envelope.event == RECEIVE_MESSAGE:
        finish_webhook_event(event=event, outcome="Sent by the business itself.")
    elif envelope.event == SEND_MESSAGE:
        return _business_wrote(event=event, envelope=envelope)
    elif envelope.event == RECEIVE_MESSAGE_EU:
        _customer_wrote_from_eu(event=event, envelope=envelope)
    elif envelope.event == MARK_READ:
        _customer_read(event=event, envelope=envelope)
    else:
        finish_webhook_event(event=event, outcome="Not an event the shop handles.")
        logger.info("tiktok event ignored", extra={"event_id": event.pk, "event": envelope.event})
    return False


def _require(value: str, what: str) -> str:
    if not value:
        raise EventNotUsable(f"The event has no {what}.")
    return value


def _recorded(burst: Burst, *, event: WebhookEvent, envelope: Envelope) -> Burst:
    """im_receive_msg: record the customer's message (reopening the window) into the burst."""
    inbound, new = conversation_services.record_inbound_message(
        tiktok_user_id=_require(envelope.sender_id, "from_user.id"),
        username=envelope.sender_username,
        conversation_id=_require(envelope.conversation_id, "conversation_id"),
        tiktok_message_id=_require(envelope.message_id, "message_id"),
        content_type=envelope.message_type,
        text=envelope.message_text,
        sent_at=envelope.sent_at,
    )
    burst.events.append(event)
    burst.messages = [*burst.messages, inbound][-MAX_TURN_BUBBLES:]
    burst.new = burst.new or new
    return burst


class LaterMessage(Exception):
    """A message of the customer came while the burst was being answered: the reply is rolled back."""


def _reply_to(burst: Burst, *, answer: Answerer, may_extend: bool) -> bool:
    """Let `answer` decide the burst's reply outside any transaction, and queue it together with marking its
    events done. False, with nothing queued or marked, when `may_extend` and a later message of the customer is
    waiting: it joins the turn. A failure fails the burst's events (each tried again)."""
    try:
        return _answer_and_queue(burst, answer=answer, may_extend=may_extend)
    except Exception as exc:
        for event in burst.events:
            fail_webhook_event(event=event, error=exc)
        return True


def _answer_and_queue(burst: Burst, *, answer: Answerer, may_extend: bool) -> bool:
    inbound = burst.messages[-1]
    customer = inbound.customer
    reply = None
    # A message recorded just now has no reply yet; a replayed one may have been answered already.
    if (burst.new or assistant_reply_to(message=inbound) is None) and not customer.is_bot_paused():
        reply = answer(customer=customer, message=inbound, earlier=burst.messages[:-1])
    has_text = reply is not None and bool(reply.text.strip())
    # A text on its own may be sent by this job straight after its transaction: its slot is booked before it.
    slot = send_slot_here(customer.pk) if reply is not None and has_text and not reply.images else None
    # The events are marked done in the statement that queues the reply's text: one round trip for both.
    finish = finishing_webhook_events(events=burst.events, unless_later_message=may_extend)
    try:
        with transaction.atomic():
            if reply is not None and has_text:
                _queue(reply, customer=customer, inbound=inbound, slot=slot, finish=finish)
            if not run_along(finish):
                raise LaterMessage
    except LaterMessage:
        return False
    return True


def _queue(reply: Reply, *, customer: Customer, inbound: Message, slot: SendSlot | None, finish: Along) -> None:
    """Queue the reply to `inbound`, which has none (checked, or recorded just now, with the conversation's mutex
    held): a reply queued twice would be an error, rolled back with the rest of the turn. `finish` is made in
    the text's statement."""
    # The photos first: the outbox sends an answer's parts in the order they were queued.
    for image in reply.images:
        conversation_services.queue_outbound_message(
            customer=customer, image=image, role=Message.Role.ASSISTANT, in_reply_to=inbound, replayed=False
        )
    conversation_services.queue_outbound_message(
        customer=customer,
        text=reply.text,
        role=Message.Role.ASSISTANT,
        in_reply_to=inbound,
        ai_model=reply.ai_model,
        prompt_tokens=reply.prompt_tokens,
        completion_tokens=reply.completion_tokens,
        replayed=False,
        slot=slot,
        along=finish,
    )


def _business_wrote(*, event: WebhookEvent, envelope: Envelope) -> bool:
    """im_send_msg: an echo of our own API send confirms its row; anything else is the owner writing in the
    TikTok app, which is recorded and pauses the assistant for that customer (then True)."""
    customer_id = _require(envelope.recipient_id, "to_user.id")
    message_id = _require(envelope.message_id, "message_id")
    text = envelope.message_text
    with transaction.atomic():
        echoed = conversation_services.confirm_sent_echo(
            tiktok_user_id=customer_id, tiktok_message_id=message_id, text=text
        )
        if echoed is None and envelope.source != "API":
            conversation_services.record_owner_message(
                tiktok_user_id=customer_id,
                username=envelope.recipient_username,
                conversation_id=envelope.conversation_id,
                tiktok_message_id=message_id,
                content_type=envelope.message_type,
                text=text,
                sent_at=envelope.sent_at,
            )
        elif echoed is None:
            logger.info("tiktok API echo matched no outbound message", extra={"event_id": event.pk})
        finish_webhook_event(event=event)
    return echoed is None and envelope.source != "API"


def _customer_wrote_from_eu(*, event: WebhookEvent, envelope: Envelope) -> None:
    """im_receive_msg_eu: nothing can be read or sent back; leave the owner a note on the customer."""
    with transaction.atomic():
        if envelope.sender_id and envelope.sender_id != settings.TIKTOK_BUSINESS_ID:
            conversation_services.add_system_note(
                tiktok_user_id=envelope.sender_id,
                username=envelope.sender_username,
                conversation_id=envelope.conversation_id,
                tiktok_message_id=envelope.message_id or None,
                text=EU_NOTE,
            )
        finish_webhook_event(event=event)


def _customer_read(*, event: WebhookEvent, envelope: Envelope) -> None:
    """im_mark_read_msg: remember when the customer last read the shop's messages (the shop reading is ignored)."""
    read_at: datetime | None = envelope.last_read_at
    with transaction.atomic():
        if envelope.sender_id and envelope.sender_id != settings.TIKTOK_BUSINESS_ID and read_at is not None:
            conversation_services.record_read_receipt(tiktok_user_id=envelope.sender_id, read_at=read_at)
        finish_webhook_event(event=event)
