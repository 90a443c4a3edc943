"""Writes to customers and their conversations.

Each topic has its own module; this one gathers their public names, the import path the other apps use:
`customers` (who they are, pauses, STOP/START, hand-offs), `recording` (what TikTok tells us) and `queueing`
(putting messages in the outbox). None of them imports this module.
"""

from conversations.customers import (
    INDEFINITE_PAUSE,
    clear_conversations,
    get_or_create_customer,
    opt_in,
    opt_out,
    pause_bot,
    record_marketing_consent,
    record_read_receipt,
    request_handoff,
    resume_bot,
    withdraw_marketing_consent,
)
from conversations.queueing import (
    MAX_TEXT_LENGTH,
    OutboundImage,
    queue_outbound_message,
    queue_replies,
    reply_as_staff,
)
from conversations.recording import add_system_note, confirm_sent_echo, record_inbound_message, record_owner_message

__all__ = [
    # customers
    "INDEFINITE_PAUSE",
    "get_or_create_customer",
    "pause_bot",
    "resume_bot",
    "opt_out",
    "opt_in",
    "record_marketing_consent",
    "withdraw_marketing_consent",
    "request_handoff",
    "record_read_receipt",
    "clear_conversations",
    # recording
    "record_inbound_message",
    "record_owner_message",
    "confirm_sent_echo",
    "add_system_note",
    # queueing
    "MAX_TEXT_LENGTH",
    "OutboundImage",
    "queue_outbound_message",
    "queue_replies",
    "reply_as_staff",
]
