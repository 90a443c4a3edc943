"""An order's history: one line per change, never changed afterwards, with the message that told the customer of
the change or why none was queued (the order's page shows it in the **Customer told** column)."""

from typing import TypedDict, Unpack

from django.contrib.auth.models import User

from conversations.models import Customer, Message
from orders import notices
from orders.models import Order, OrderEvent

Actor = OrderEvent.Actor


class Told(TypedDict, total=False):
    """What a history line records of telling the customer (`tell`): the message queued, or why none was."""

    notice: Message | None
    not_told_because: str


def record_event(
    *,
    order: Order,
    kind: str,
    by: str = Actor.SYSTEM,
    staff_user: User | None = None,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    notice: Message | None = None,
    not_told_because: str = "",
) -> OrderEvent:
    """Append one line to the order's history (never changed afterwards), with the message that told the customer
    of it or why none was queued (`tell`). Call inside the change's transaction."""
    return OrderEvent.objects.create(
        order=order,
        kind=kind,
        actor=by,
        staff_user=staff_user if by == Actor.OWNER else None,
        from_status=from_status,
        to_status=to_status,
        note=note.strip(),
        notice=notice,
        not_told_because=not_told_because,
    )


def record_event_in_status(
    *, order: Order, kind: str, by: str = Actor.SYSTEM, note: str = "", **told: Unpack[Told]
) -> OrderEvent:
    """A line in the order's history that leaves it in its status (flagged, refunded, reinstated, …): `record_event`
    with the order's status as both from and to; `told` as `tell` returns it."""
    return record_event(
        order=order, kind=kind, by=by, from_status=order.status, to_status=order.status, note=note, **told
    )


def tell(*, customer: Customer, text: str, follow_up_allowed: bool = False) -> Told:
    """Tell the customer (`notices.tell_customer`: STOP and the reply window permitting) and return what the history
    line records of it, as `record_event`'s arguments: the message queued, or why none was."""
    reason = notices.why_not_told(customer=customer, follow_up_allowed=follow_up_allowed)
    if reason:
        return {"not_told_because": reason}
    return {"notice": notices.tell_customer(customer=customer, text=text, follow_up_allowed=follow_up_allowed)}
