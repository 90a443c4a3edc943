"""What each TikTok event means for the shop's conversations: customers, their messages, read receipts.

The worker (`assistant.tasks.handle_event`) calls `handle_conversation_events` with the conversation's mutex
held, and passes in who answers a customer (`assistant.services.answer`): conversations never imports
the assistant. The event's own status (processing, done, failed) changes through `tiktok.services`.
"""

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from django.conf import settings
from django.db import transaction

from conversations import services as conversation_services
from conversations.models import Customer, Message
from conversations.selectors import assistant_reply_to
from conversations.services import OutboundImage
from tiktok.envelopes import MARK_READ, RECEIVE_MESSAGE, RECEIVE_MESSAGE_EU, SEND_MESSAGE, Envelope, parse_envelope
from tiktok.models import WebhookEvent
from tiktok.services import EventNotUsable, claim_waiting_events, fail_webhook_event, finish_webhook_event

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
    """Decides the reply to a customer's message (None: stay silent). Called outside any transaction."""

    def __call__(self, *, customer: Customer, message: Message) -> Reply | None: ...


def handle_conversation_events(*, up_to_event_id: int, answer: Answerer) -> int:
    """Handle the conversation's waiting events in arrival order, up to and including this one.

    The caller holds the conversation's mutex, so no two workers interleave one conversation, and an
    event whose own job was delayed is still handled in its place. One that fails does not hold up the ones
    after it: it is tried again on its own (`tiktok.services.fail_webhook_event`). `answer` decides the replies
    to customers' messages. Returns how many ran.
    """
    events = claim_waiting_events(up_to_event_id=up_to_event_id)
    for event in events:
        handle_webhook_event(event=event, answer=answer)
    return len(events)


def handle_webhook_event(*, event: WebhookEvent, answer: Answerer) -> None:
    """Do what one event means for the shop, once. A failure is recorded on the event (failed, with its error),
    for the sweep to try again with backoff, up to INBOX_MAX_ATTEMPTS tries (at once given up when retrying
    cannot help). Raises only when even that cannot be recorded (the database is down): the job is retried."""
    try:
        envelope = parse_envelope(event.raw_body.encode("utf-8"))
        if not settings.TIKTOK_BUSINESS_ID or envelope.user_openid != settings.TIKTOK_BUSINESS_ID:
            # A replayed event that was ignored at intake is still not ours.
            finish_webhook_event(event=event, outcome="For another business (user_openid does not match).")
        elif envelope.event == RECEIVE_MESSAGE:
            _customer_wrote(event=event, envelope=envelope, answer=answer)
        elif envelope.event == SEND_MESSAGE:
            _business_wrote(event=event, envelope=envelope)
        elif envelope.event == RECEIVE_MESSAGE_EU:
            _customer_wrote_from_eu(event=event, envelope=envelope)
        elif envelope.event == MARK_READ:
            _customer_read(event=event, envelope=envelope)
        else:
            finish_webhook_event(event=event, outcome="Not an event the shop handles.")
            logger.info("tiktok event ignored", extra={"event_id": event.pk, "event": envelope.event})
    except Exception as exc:
        fail_webhook_event(event=event, error=exc)


def _require(value: str, what: str) -> str:
    if not value:
        raise EventNotUsable(f"The event has no {what}.")
    return value


def _customer_wrote(*, event: WebhookEvent, envelope: Envelope, answer: Answerer) -> None:
    """im_receive_msg: record the customer's message (reopening the window), then let `answer` decide the
    reply outside any transaction, and queue it together with marking the event done."""
    sender_id = _require(envelope.sender_id, "from_user.id")
    if sender_id == settings.TIKTOK_BUSINESS_ID:
        finish_webhook_event(event=event, outcome="Sent by the business itself.")
        return
    inbound, new = conversation_services.record_inbound_message(
        tiktok_user_id=sender_id,
        username=envelope.sender_username,
        conversation_id=_require(envelope.conversation_id, "conversation_id"),
        tiktok_message_id=_require(envelope.message_id, "message_id"),
        content_type=envelope.message_type,
        text=envelope.message_text,
        sent_at=envelope.sent_at,
    )
    customer = inbound.customer
    reply = None
    # A message recorded just now has no reply yet; a replayed one may have been answered already.
    if (new or assistant_reply_to(message=inbound) is None) and not customer.is_bot_paused():
        reply = answer(customer=customer, message=inbound)
    if reply is None or not reply.text.strip():
        finish_webhook_event(event=event)  # one UPDATE: nothing to queue with it
        return
    with transaction.atomic():
        # The photos first: the outbox sends an answer's parts in the order they were queued.
        for image in reply.images:
            conversation_services.queue_outbound_message(
                customer=customer, image=image, role=Message.Role.ASSISTANT, in_reply_to=inbound
            )
        conversation_services.queue_outbound_message(
            customer=customer,
            text=reply.text,
            role=Message.Role.ASSISTANT,
            in_reply_to=inbound,
            ai_model=reply.ai_model,
            prompt_tokens=reply.prompt_tokens,
            completion_tokens=reply.completion_tokens,
        )
        finish_webhook_event(event=event)


def _business_wrote(*, event: WebhookEvent, envelope: Envelope) -> None:
    """im_send_msg: an echo of our own API send confirms its row; anything else is the owner writing in the
    TikTok app, which is recorded and pauses the assistant for that customer."""
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
