"""Reads about customers and their conversations: the reply window, the quota, the outbox."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from conversations.models import Customer, Message


def stuck_sending_after() -> timedelta:
    """Rows in `sending` longer than this (OUTBOX_STUCK_SENDING_SECONDS) were interrupted mid-call: the admin
    flags them and the owner is told, to check in TikTok (they are never resent automatically)."""
    return timedelta(seconds=settings.OUTBOX_STUCK_SENDING_SECONDS)


# What counts as a message the business has sent through TikTok (dry runs never left the shop).
DELIVERED_STATES = (Message.State.SENT, Message.State.SENDING)

# A row in `sending` whose call's answer was lost (a read timeout): waiting for its echo, not in the middle of a call.
UNCONFIRMED = "read_timeout"


def ahead_in_the_outbox(*, in_flight_since: datetime) -> Q:
    """Outbound rows that go before a new one to the same customer: waiting in `queued` for their first try, or in
    the middle of a send (`sending` since `in_flight_since` or later — `now - stuck_sending_after()`: not stuck —
    and not waiting for an echo). One send at a time per customer, in the order they were queued, keeps the
    conversation in order."""
    waiting = Q(state=Message.State.QUEUED, attempts=0)
    in_flight = Q(state=Message.State.SENDING, sending_started_at__gte=in_flight_since)
    return Q(direction=Message.Direction.OUTBOUND) & (waiting | (in_flight & ~Q(error_code=UNCONFIRMED)))


def outbox_ahead_of_a_new_message(*, in_flight_since: datetime) -> QuerySet[Message]:
    """For `Exists` in a query of customers (`OuterRef("pk")`): the customer has a message ahead in the outbox."""
    return Message.objects.filter(ahead_in_the_outbox(in_flight_since=in_flight_since), customer=OuterRef("pk"))


def assistant_reply_to(*, message: Message) -> Message | None:
    return Message.objects.filter(in_reply_to=message, role=Message.Role.ASSISTANT).first()


def reply_window_closes_at(*, customer: Customer) -> datetime | None:
    if customer.last_inbound_at is None:
        return None
    return customer.last_inbound_at + timedelta(hours=settings.TIKTOK_WINDOW_HOURS)


def can_be_written_to(*, customer: Customer, now: datetime | None = None) -> bool:
    """May the shop message this customer unprompted now (a reminder, a waitlist turn)? Only within the
    reply window, never after STOP, and not while the owner has paused the bot for them."""
    now = now or timezone.now()
    closes_at = reply_window_closes_at(customer=customer)
    return (
        closes_at is not None
        and closes_at > now
        and customer.opted_out_at is None
        and not customer.is_bot_paused(now=now)
    )


def reachable_with_news(*, now: datetime | None = None) -> QuerySet[Customer]:
    """Customers who may be told of a live or a drop now: marketing consent given (STOP withdraws it) and, as
    `can_be_written_to`, within the reply window, not opted out, the bot not paused for them."""
    now = now or timezone.now()
    return Customer.objects.filter(
        Q(bot_paused_until__isnull=True) | Q(bot_paused_until__lte=now),
        marketing_consent=True,
        opted_out_at__isnull=True,
        last_inbound_at__gt=now - timedelta(hours=settings.TIKTOK_WINDOW_HOURS),
    ).exclude(conversation_id="")


def business_messages_since(*, customer: Customer, since: datetime) -> int:
    """Messages the business sent to this customer through TikTok (bot, staff, the owner's app) since `since`."""
    return _delivered_since(customer=customer, since=since).count()


def _delivered_since(*, customer: Customer | OuterRef, since: datetime | OuterRef) -> QuerySet[Message]:
    return Message.objects.filter(
        customer=customer, direction=Message.Direction.OUTBOUND, state__in=DELIVERED_STATES
    ).filter(Q(sent_at__gte=since) | Q(sent_at__isnull=True, sending_started_at__gte=since))


def sent_since_their_message() -> Subquery:
    """For a query of customers: `business_messages_since` their last message (the quota after a first message),
    read with the customer row."""
    delivered = _delivered_since(customer=OuterRef("pk"), since=OuterRef("last_inbound_at"))
    return Subquery(delivered.order_by().values("customer").annotate(count=Count("pk")).values("count")[:1])


def has_written_more_than_once(*, customer: Customer) -> bool:
    """Whether the customer has written twice or more (reads at most two rows, however long the conversation)."""
    return second_message_from_customer(customer).exists()


def second_message_from_customer(customer: Customer | None = None) -> QuerySet[Message]:
    """The customer's second message (if any); without `customer`, for `Exists` in a query of customers
    (`OuterRef("pk")`), so the statement that reads the customer reads this too."""
    return Message.objects.filter(
        customer=OuterRef("pk") if customer is None else customer,
        direction=Message.Direction.INBOUND,
        role=Message.Role.USER,
    ).order_by()[1:2]


def _answers_the_turn_that_changed_it(*, message: Message, changed_at: datetime | None) -> bool:
    """True for the reply to the very message whose handling paused the bot or opted the customer out
    (the "OK, stopping" or "the owner will reply" answer): it was queued after the change, in answer
    to a message written before it."""
    if changed_at is None or message.in_reply_to is None:
        return False
    return message.in_reply_to.created_at <= changed_at <= message.created_at


def outbound_block_reason(
    *,
    message: Message,
    customer: Customer,
    now: datetime | None = None,
    written_more_than_once: bool | None = None,
    sent_since_their_message: int | None = None,
) -> str | None:
    """Why TikTok's rules (or the shop's) forbid sending this message now, or None when it may go.

    The window: replies only within TIKTOK_WINDOW_HOURS of the customer's last message. Quota (counted
    from Message rows, never a counter): after a customer's very first message at most
    TIKTOK_QUOTA_FIRST_MESSAGE business messages until they write again; after any later message,
    unlimited within the window. Once the window has closed the assistant stays silent, and staff may
    still send TIKTOK_QUOTA_AFTER_WINDOW follow-ups (counted from the moment it closed). Assistant
    messages also wait on the bot being active and the customer not having opted out. `written_more_than_once`:
    `has_written_more_than_once`, when the caller has read it with the customer; `sent_since_their_message`:
    `business_messages_since(customer, since=customer.last_inbound_at)`, likewise (`sent_since_their_message()`).
    """
    now = now or timezone.now()
    if not customer.conversation_id:
        return "No TikTok conversation to reply to: the customer has not written through TikTok."
    closes_at = reply_window_closes_at(customer=customer)
    if closes_at is None or customer.last_inbound_at is None:  # one is None when the other is
        return "The customer has never written: TikTok only allows replies."
    if message.role == Message.Role.ASSISTANT:
        if customer.is_bot_paused(now=now) and not _answers_the_turn_that_changed_it(
            message=message, changed_at=customer.handoff_requested_at
        ):
            return "The bot is paused for this customer."
        if customer.opted_out_at is not None and not _answers_the_turn_that_changed_it(
            message=message, changed_at=customer.opted_out_at
        ):
            return "The customer opted out of automated messages (STOP)."
    if now < closes_at:
        if written_more_than_once is None:
            written_more_than_once = has_written_more_than_once(customer=customer)
        if not written_more_than_once:
            used = (
                business_messages_since(customer=customer, since=customer.last_inbound_at)
                if sent_since_their_message is None
                else sent_since_their_message
            )
            if used >= settings.TIKTOK_QUOTA_FIRST_MESSAGE:
                return (
                    f"Quota used up: {used} of {settings.TIKTOK_QUOTA_FIRST_MESSAGE} messages after the customer's "
                    "first message; the next is possible once they write again."
                )
        return None
    if message.role != Message.Role.STAFF:
        return f"The {settings.TIKTOK_WINDOW_HOURS}-hour reply window closed at {closes_at:%Y-%m-%d %H:%M} UTC."
    used = business_messages_since(customer=customer, since=closes_at)
    if used >= settings.TIKTOK_QUOTA_AFTER_WINDOW:
        return (
            f"The {settings.TIKTOK_WINDOW_HOURS}-hour reply window closed at {closes_at:%Y-%m-%d %H:%M} UTC and "
            f"the {settings.TIKTOK_QUOTA_AFTER_WINDOW} follow-ups allowed after it are used."
        )
    return None


def stuck_sending_messages(*, now: datetime | None = None) -> QuerySet[Message]:
    """Outbound rows left in `sending`: the worker stopped mid-call, so whether TikTok got them is unknown."""
    now = now or timezone.now()
    return Message.objects.filter(state=Message.State.SENDING, sending_started_at__lt=now - stuck_sending_after())


def is_stuck_sending(*, message: Message, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return (
        message.state == Message.State.SENDING
        and message.sending_started_at is not None
        and message.sending_started_at < now - stuck_sending_after()
    )


@dataclass(frozen=True)
class Part:
    """Another message of the same answer (a photo sent before its text), as read."""

    pk: int
    state: str
    sending_started_at: datetime | None


def other_parts(*, message: Message) -> list[Part]:
    """The other outbound messages answering the same inbound message (none for a one-part answer)."""
    if message.in_reply_to_id is None:
        return []
    rows = (
        Message.objects.filter(in_reply_to_id=message.in_reply_to_id, direction=Message.Direction.OUTBOUND)
        .exclude(pk=message.pk)
        .order_by("pk")
        .values_list("pk", "state", "sending_started_at")
    )
    return [Part(*row) for row in rows]


def earlier_part_pending(*, message: Message, now: datetime | None = None, parts: list[Part] | None = None) -> bool:
    """Whether an earlier part of the same answer (a photo queued before the text) has not gone yet: still
    queued, or in the middle of sending. One stuck in `sending` (a worker died mid-call) holds up the rest
    only until it counts as stuck. `parts`: `other_parts(message)`, when the caller has read them."""
    now = now or timezone.now()
    parts = other_parts(message=message) if parts is None else parts
    stuck_before = now - stuck_sending_after()
    return any(
        part.pk < message.pk
        and (
            part.state == Message.State.QUEUED
            or (
                part.state == Message.State.SENDING
                and part.sending_started_at is not None
                and part.sending_started_at >= stuck_before
            )
        )
        for part in parts
    )


def next_part_waiting(*, message: Message) -> int | None:
    """The id of the next queued part of the same answer as `message` (None: it was the last)."""
    if message.in_reply_to_id is None:
        return None
    return (
        Message.objects.filter(
            in_reply_to_id=message.in_reply_to_id,
            direction=Message.Direction.OUTBOUND,
            state=Message.State.QUEUED,
            pk__gt=message.pk,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )


def business_has_replied(*, customer: Customer) -> bool:
    """Whether the shop has sent this customer anything through TikTok yet (TikTok's SINGLE conversation)."""
    return Message.objects.filter(
        customer=customer, direction=Message.Direction.OUTBOUND, state__in=DELIVERED_STATES
    ).exists()
