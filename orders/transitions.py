"""An order's life as one table: from which status to which, and who may move it there.

The services ask the table before they change an order's status (`ensure_may_move`, `move`), and the order's
admin page offers the owner the moves the table gives them from the order's status (`next_statuses`), so a rule
changed here changes both. A move the table does not list is refused with the service's `DomainError` and
changes nothing. Placing an order (a customer's holds become a pending one) makes the order; it is not a move.
"""

from orders.exceptions import InvalidOrderTransition
from orders.models import Order, OrderEvent

Status = Order.Status
Actor = OrderEvent.Actor

# (from status, to status): who may move an order so. From one status, the owner's moves are offered in this order.
TRANSITIONS: dict[tuple[str, str], tuple[str, ...]] = {
    # Mark paid…, or Stripe's webhook.
    (Status.PENDING, Status.PAID): (Actor.OWNER, Actor.SYSTEM),
    # By DM ("cancel my order"), Cancel order, or not paid in time (expired).
    (Status.PENDING, Status.CANCELLED): (Actor.CUSTOMER, Actor.OWNER, Actor.SYSTEM),
    # Mark shipped…
    (Status.PAID, Status.SHIPPED): (Actor.OWNER,),
    # Cancel order: the customer is told their payment will be refunded.
    (Status.PAID, Status.CANCELLED): (Actor.OWNER,),
    # A late payment (Stripe's webhook) while every piece is still on sale: the order is reinstated.
    (Status.CANCELLED, Status.PAID): (Actor.SYSTEM,),
}

# How a refusal names the move to each status: "Order #7 is shipped; it cannot be cancelled."
REFUSED_AS: dict[str, str] = {
    Status.PAID: "marked paid",
    Status.SHIPPED: "marked shipped",
    Status.CANCELLED: "cancelled",
}


def may_move(*, from_status: str, to_status: str, by: str) -> bool:
    """Does the table let `by` (an `OrderEvent.Actor`) move an order from `from_status` to `to_status`?"""
    return by in TRANSITIONS.get((from_status, to_status), ())


def next_statuses(*, from_status: str, by: str) -> list[str]:
    """The statuses `by` may move an order in `from_status` to, in the table's order."""
    return [to_status for (start, to_status), who in TRANSITIONS.items() if start == from_status and by in who]


def ensure_may_move(*, order: Order, to_status: str, by: str) -> None:
    """Raise `InvalidOrderTransition` ("Order #7 is paid; it cannot be marked paid.") unless the table lets `by`
    move `order` to `to_status`."""
    if not may_move(from_status=order.status, to_status=to_status, by=by):
        raise InvalidOrderTransition(order.pk, order.get_status_display().lower(), REFUSED_AS[to_status])


def move(*, order: Order, to_status: str, by: str) -> str:
    """Set a locked order's status to `to_status` as the table allows (`ensure_may_move` raises otherwise); returns
    the status it came from. The caller saves the order and records the move in its history, in its transaction."""
    ensure_may_move(order=order, to_status=to_status, by=by)
    from_status = order.status
    order.status = to_status
    return from_status
