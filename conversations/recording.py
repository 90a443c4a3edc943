"""Recording what TikTok tells us into a customer's conversation: their messages, the owner's replies typed in
the TikTok app, echoes of our own sends, and notes for the owner. Each once per TikTok message id."""

import logging
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from conversations.customers import clean_customer_id, pause_for_owner
from conversations.models import Customer, Message
from philia.db import insert_values

logger = logging.getLogger(__name__)


def _written_at(sent_at: datetime | None) -> datetime:
    """When a message was written: TikTok's timestamp, but never in the future (a skewed clock)."""
    now = timezone.now()
    return min(sent_at, now) if sent_at else now


def _record_from_tiktok(
    *,
    tiktok_user_id: str,
    username: str,
    conversation_id: str,
    tiktok_message_id: str | None,
    written_at: datetime,
    role: str,
    direction: str,
    text: str,
    content_type: str = "text",
    **fields: object,
) -> tuple[Message, bool]:
    """Append a message TikTok told us about to the customer's conversation (the customer created if new),
    once per TikTok message id. Returns the message and whether it is new.

    One statement (`_UPSERT_AND_APPEND`): the customer row is inserted or updated — which locks it, as FOR NO KEY
    UPDATE would — with what the message changes in the conversation (`_FOLLOW`), and the message appended.
    """
    from_customer = role == Message.Role.USER
    customer = Customer(
        tiktok_user_id=clean_customer_id(tiktok_user_id),
        username=username,
        conversation_id=conversation_id,
        last_inbound_at=written_at if from_customer else None,
    )
    message = Message(
        customer_id=customer.pk,
        role=role,
        direction=direction,
        text=text,
        content_type=content_type[:32] or "text",
        tiktok_message_id=tiktok_message_id,
        created_at=written_at,
        **fields,
    )
    message_id, created = _upsert_and_append(customer, message, from_customer=from_customer)
    if message_id is None:
        # Recorded before (a repeated delivery, a job run again): the first one stands. Found only now, not looked
        # for first: a message is new far more often than not.
        existing = Message.objects.filter(tiktok_message_id=tiktok_message_id).select_related("customer").first()
        if existing is None:
            raise IntegrityError(f"message {tiktok_message_id} neither appended nor found")
        return existing, False
    message.pk, message._state.adding, message._state.db = message_id, False, connection.alias
    message.recorded_now, message.first_from_customer = True, created
    return message, True


def _upsert_and_append(customer: Customer, message: Message, *, from_customer: bool) -> tuple[int | None, bool]:
    """Run `_UPSERT_AND_APPEND` for these new rows: the message's id (None when it was recorded before) and whether
    the customer is new. `message.customer` is then the customer row as it is now."""
    customer_columns, customer_values = insert_values(customer)
    message_columns, message_values = insert_values(message)
    returned = [field.attname for field in Customer._meta.concrete_fields]  # its columns: no foreign keys
    statement = _UPSERT_AND_APPEND.format(
        customer_columns=", ".join(customer_columns),
        customer_values=", ".join(["%s"] * len(customer_values)),
        follow=_FOLLOW["customer" if from_customer else "other"],
        returned=", ".join(f"c.{connection.ops.quote_name(column)}" for column in returned),
        message_columns=", ".join(message_columns),
        message_values=", ".join(["%s"] * len(message_values)),
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [*customer_values, *message_values])
        *row, created, message_id = cursor.fetchone()
    message.customer = Customer.from_db(connection.alias, returned, row)
    return message_id, created


# What a message moves on in its customer's conversation: the customer's own message decides the conversation replies
# go to and reopens the reply window from its own time, never moving it backwards when an older message arrives
# late; other messages only fill in a missing conversation id. A username TikTok sends replaces the one we had.
_FOLLOW = {
    "customer": """conversation_id = CASE WHEN EXCLUDED.conversation_id <> '' THEN EXCLUDED.conversation_id
                                   ELSE c.conversation_id END,
                   last_inbound_at = GREATEST(c.last_inbound_at, EXCLUDED.last_inbound_at),""",
    "other": """conversation_id = CASE WHEN c.conversation_id = '' THEN EXCLUDED.conversation_id
                                ELSE c.conversation_id END,""",
}

_UPSERT_AND_APPEND = """
WITH customer AS (
    INSERT INTO conversations_customer AS c ({customer_columns}) VALUES ({customer_values})
    ON CONFLICT (tiktok_user_id) DO UPDATE SET
        {follow}
        username = CASE WHEN EXCLUDED.username <> '' THEN EXCLUDED.username ELSE c.username END,
        updated_at = EXCLUDED.updated_at
    RETURNING {returned}, (c.xmax = 0) AS created
), message AS (
    INSERT INTO conversations_message ({message_columns}) VALUES ({message_values})
    ON CONFLICT (tiktok_message_id) DO NOTHING
    RETURNING id
)
SELECT customer.*, (SELECT id FROM message) FROM customer
"""


def record_inbound_message(
    *,
    tiktok_user_id: str,
    username: str,
    conversation_id: str,
    tiktok_message_id: str,
    content_type: str,
    text: str,
    sent_at: datetime | None,
) -> tuple[Message, bool]:
    """Upsert the customer and append their message (reopening the reply window); idempotent on the TikTok
    message id. Locks the customer row for the short write. Returns the message and whether it is new (a
    replayed delivery gives the message recorded the first time)."""
    message, created = _record_from_tiktok(
        tiktok_user_id=tiktok_user_id,
        username=username,
        conversation_id=conversation_id,
        tiktok_message_id=tiktok_message_id,
        written_at=_written_at(sent_at),
        content_type=content_type,
        role=Message.Role.USER,
        direction=Message.Direction.INBOUND,
        text=text,
    )
    if created:
        logger.info("customer message recorded", extra={"customer": message.customer_id, "message_id": message.pk})
    return message, created


def record_owner_message(
    *,
    tiktok_user_id: str,
    username: str,
    conversation_id: str,
    tiktok_message_id: str,
    content_type: str,
    text: str,
    sent_at: datetime | None,
) -> Message:
    """The owner wrote to the customer in the TikTok app: record it as a staff message (already sent) and
    pause the assistant for BOT_PAUSE_AFTER_OWNER_REPLY hours so it never talks over them. Idempotent on the
    TikTok message id; locks the customer row."""
    written_at = _written_at(sent_at)
    with transaction.atomic():
        message, created = _record_from_tiktok(
            tiktok_user_id=tiktok_user_id,
            username=username,
            conversation_id=conversation_id,
            tiktok_message_id=tiktok_message_id,
            written_at=written_at,
            content_type=content_type,
            role=Message.Role.STAFF,
            direction=Message.Direction.OUTBOUND,
            state=Message.State.SENT,
            sent_at=written_at,
            text=text,
        )
        if not created:
            return message
        pause_for_owner(customer=message.customer, since=written_at)
    logger.info(
        "owner replied in TikTok; bot paused", extra={"customer": message.customer_id, "message_id": message.pk}
    )
    return message


def confirm_sent_echo(*, tiktok_user_id: str, tiktok_message_id: str, text: str) -> Message | None:
    """TikTok echoed a message the business sent. If it is one of ours, return it, marking it sent when
    the echo beat the send's own answer (or the answer was lost to a timeout, so a retry is not sent
    twice). None when it is not ours.

    An echo whose id we do not know yet is matched by its text to a row of this customer's that TikTok
    was asked to send, whatever `message_tag.source` says: TikTok does not always tag its echoes."""
    message = Message.objects.filter(tiktok_message_id=tiktok_message_id).first()
    if message is not None:
        return message
    with transaction.atomic():
        candidate = (
            Message.objects.select_for_update(no_key=True)
            .filter(
                customer_id=tiktok_user_id,
                direction=Message.Direction.OUTBOUND,
                state__in=[Message.State.SENDING, Message.State.QUEUED],
                tiktok_message_id__isnull=True,
                attempts__gt=0,
                text=text,
            )
            .order_by("-state", "created_at", "pk")  # "sending" before "queued", then the oldest
            .first()
        )
        if candidate is None:
            return None
        now = timezone.now()
        Message.objects.filter(pk=candidate.pk).update(
            state=Message.State.SENT,
            tiktok_message_id=tiktok_message_id,
            sent_at=now,
            error="",
            error_code="",
            updated_at=now,
        )
    logger.info("outbound message confirmed by its echo", extra={"message_id": candidate.pk})
    candidate.refresh_from_db()
    return candidate


def add_system_note(
    *, tiktok_user_id: str, username: str, conversation_id: str, tiktok_message_id: str | None, text: str
) -> Message:
    """A note in the customer's conversation for the owner (not sent anywhere). Idempotent on the TikTok
    message id it is about; locks the customer row."""
    message, _ = _record_from_tiktok(
        tiktok_user_id=tiktok_user_id,
        username=username,
        conversation_id=conversation_id,
        tiktok_message_id=tiktok_message_id,
        written_at=timezone.now(),
        role=Message.Role.SYSTEM,
        direction=Message.Direction.INBOUND,
        text=text,
    )
    return message
