"""What the assistant remembers of a conversation: the last few messages and a short state summary.

"Last items shown" is not stored anywhere: it is read back from the shop's latest outbound message
(assistant or staff) that named items, in the order the customer saw them. The conversation itself
is the state, so it survives restarts, needs no migration or cleanup, covers what the owner wrote
too, and can never disagree with what the customer actually read.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.db.models import Exists, QuerySet
from django.utils import timezone

from assistant.language import find_skus
from assistant.tools import Toolbox
from conversations.models import Customer, Message
from inventory.selectors import visible_items, waiting_for_free_pieces
from orders.models import Order
from philia.db import STAND_IN_TIME, CompiledQuery


@dataclass(frozen=True, slots=True)
class Said:
    """An earlier message of the conversation as a turn reads it: a plain row, not a model instance (every turn
    reads ten of them)."""

    role: str
    direction: str
    text: str
    content_type: str
    created_at: datetime


@dataclass
class Conversation:
    """What a turn reads: the customer, the message being answered (the last of its bubbles), what came before,
    and the items last shown. `earlier` are the bubbles the customer wrote before `message` in the same turn
    (a burst answered at once); `text` is all of them, in order, one per line. The items last shown are read from
    the history the first time a turn asks (most turns never do: "hi", a search)."""

    customer: Customer
    message: Message
    history: list[Said]
    earlier: Sequence[Message] = ()
    # Whether the customer waits for a piece free now, read with the history (None: not read).
    waiting: bool | None = None
    # `last_shown(history)` once read, shared by the conversations of one turn's bubbles (`for_bubble`).
    _shown: list[tuple[list[str], datetime | None]] = field(default_factory=list, repr=False)

    @property
    def text(self) -> str:
        return burst_text([*self.earlier, self.message])

    @property
    def shown_skus(self) -> list[str]:
        return self._last_shown()[0]

    @property
    def shown_at(self) -> datetime | None:
        """When the shop's message that showed them was written."""
        return self._last_shown()[1]

    def _last_shown(self) -> tuple[list[str], datetime | None]:
        if not self._shown:
            self._shown.append(last_shown(self.history))
        return self._shown[0]

    def for_bubble(self, bubble: Message) -> "Conversation":
        """The same conversation answering one of its bubbles on its own (its history and items shown shared)."""
        return Conversation(
            customer=self.customer, message=bubble, history=self.history, waiting=self.waiting, _shown=self._shown
        )


def burst_text(messages: Sequence[Message]) -> str:
    """The texts of a customer's bubbles, in order, one per line (empty ones left out)."""
    return "\n".join(message.text for message in messages if message.text)


def recent_messages(*, customer: Customer, before: Message, limit: int) -> tuple[list[Said], bool | None]:
    """The customer's last `limit` messages before `before`, oldest first (text only), and whether they wait for a
    piece that is free now (`inventory.selectors.waitlisted_items_free_now`; None with no messages to tell it). Read
    for most turns, in one statement compiled once per limit."""
    query = _RECENT.get(limit)
    if query is None:
        query = _RECENT[limit] = CompiledQuery(
            partial(_recent, limit=limit),
            customer_id="\x00customer",
            before_id=-1901,
            before_at=STAND_IN_TIME,
            now=_STAND_IN_NOW,
        )
    names, rows = query.rows(
        customer_id=customer.pk, before_id=before.pk, before_at=before.created_at, now=timezone.now()
    )
    at = [names.index(field) for field in _SAID_FIELDS]
    waiting = bool(rows[0][names.index("waiting")]) if rows else None
    return [Said(*(row[position] for position in at)) for row in reversed(rows)], waiting


_SAID_FIELDS = ("role", "direction", "text", "content_type", "created_at")


_RECENT: dict[int, CompiledQuery[Message]] = {}


def _recent(*, customer_id: str, before_id: int, before_at: datetime, now: datetime, limit: int) -> QuerySet[Message]:
    return (
        Message.objects.filter(customer_id=customer_id, created_at__lte=before_at)
        .exclude(pk=before_id)
        .exclude(role=Message.Role.SYSTEM)
        .exclude(direction=Message.Direction.OUTBOUND, state__in=[Message.State.FAILED, Message.State.BLOCKED])
        .annotate(waiting=Exists(waiting_for_free_pieces(customer_id=customer_id, now=now)))
        .order_by("-created_at", "-pk")
        .only("role", "direction", "text", "content_type", "created_at")[:limit]
    )


# The stand-in of `_recent`'s `now`: a time apart from `before_at`'s (STAND_IN_TIME).
_STAND_IN_NOW = datetime(1902, 2, 2, 0, 0, 0, 1902, tzinfo=UTC)


def shown_lately(history: Sequence[Said]) -> list[str]:
    """SKUs of every outbound message of `history`, the latest first (no duplicates; unknown codes not weeded out)."""
    found: list[str] = []
    for message in reversed(history):
        if message.direction == Message.Direction.OUTBOUND:
            found.extend(sku for sku in find_skus(message.text) if sku not in found)
    return found


def last_shown(history: Sequence[Said]) -> tuple[list[str], datetime | None]:
    """SKUs of the shop's latest outbound message that named real items, in the order they appeared, and when
    that message was written."""
    for message in reversed(history):
        if message.direction != Message.Direction.OUTBOUND:
            continue
        mentioned = find_skus(message.text)
        if not mentioned:
            continue
        existing = {item.sku.upper() for item in visible_items(mentioned)}
        shown = [sku for sku in mentioned if sku in existing]
        if shown:
            return shown, message.created_at
    return [], None


def remember(*, customer: Customer, message: Message, earlier: Sequence[Message] = ()) -> Conversation:
    """The conversation up to `message` and the bubbles `earlier` that came just before it in the same turn."""
    first = earlier[0] if earlier else message
    if first.first_from_customer:  # new with this message: nothing before it, and no waitlist yet
        return Conversation(customer=customer, message=message, history=[], earlier=tuple(earlier), waiting=False)
    history, waiting = recent_messages(customer=customer, before=first, limit=settings.AI_HISTORY_MESSAGES)
    return Conversation(customer=customer, message=message, history=history, earlier=tuple(earlier), waiting=waiting)


def state_summary(conversation: Conversation, toolbox: Toolbox) -> dict[str, Any]:
    """The facts the AI gets besides the messages: holds, open orders, the shop's counter-offers waiting for this
    customer's yes, and the items last shown."""
    open_orders = Order.objects.filter(
        customer=conversation.customer, status__in=[Order.Status.PENDING, Order.Status.PAID, Order.Status.SHIPPED]
    ).order_by("-created_at")[:3]
    return {
        "now": timezone.now().isoformat(timespec="minutes"),
        "customer_holds": toolbox.holds(),
        "open_orders": [
            {"order_number": order.pk, "status": order.get_status_display().lower(), "total": f"{order.total:.2f}"}
            for order in open_orders
        ],
        "counter_offers_waiting": toolbox.counter_offers(),
        "last_items_shown": toolbox.items(conversation.shown_skus[:10]),
    }
