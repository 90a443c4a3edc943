"""Cancelling an order: by the owner (pending or paid), or by its customer by DM (unpaid only). Its pieces go
back on sale through inventory, its lines stop counting, and the customer is told."""

import logging
from collections.abc import Callable

from django.contrib.auth.models import User
from django.utils import timezone

from conversations.models import Customer
from inventory import services as inventory_services
from orders import notices
from orders.exceptions import NoUnpaidOrder
from orders.history import Told, record_event, tell
from orders.locks import lock_order
from orders.models import Order, OrderEvent
from orders.transitions import ensure_may_move, may_move, move
from philia.db import locking_transaction

logger = logging.getLogger(__name__)

Actor = OrderEvent.Actor


def cancel_own_order(*, customer: Customer, order_id: int | None = None) -> Order:
    """The customer cancels their own unpaid order by DM (the latest one unless `order_id` is given): its
    pieces go back on sale and the history says the customer did it. Locks the order, then its items.

    Raises `NoUnpaidOrder` when they have none (a paid order is the owner's to cancel)."""
    orders = Order.objects.filter(customer=customer, status=Order.Status.PENDING)
    if order_id is not None:
        orders = orders.filter(pk=order_id)
    order = orders.order_by("-created_at", "-pk").first()
    if order is None:
        raise NoUnpaidOrder(order_id)
    with locking_transaction():
        order = lock_order(order_id=order.pk)
        if not may_move(from_status=order.status, to_status=Order.Status.CANCELLED, by=Actor.CUSTOMER):
            raise NoUnpaidOrder(order.pk)
        cancel_locked(order=order, kind="cancelled", by=Actor.CUSTOMER, note="cancelled by the customer by DM")
    logger.info("order cancelled by its customer", extra={"order": order.pk})
    return order


def cancel_order(*, order: Order, reason: str = "", staff_user: User | None = None) -> Order:
    """Pending or paid → cancelled; its items go back on sale and the customer is told (the owner's news: also as
    one of the follow-ups TikTok allows after their window). Locks the order, then its items by pk."""
    with locking_transaction():
        order = lock_order(order_id=order.pk)
        ensure_may_move(order=order, to_status=Order.Status.CANCELLED, by=Actor.OWNER)
        was_paid = order.status == Order.Status.PAID
        cancel_locked(
            order=order,
            kind="cancelled",
            by=Actor.OWNER,
            staff_user=staff_user,
            note=reason,
            notice=lambda skus: notices.order_cancelled_by_the_shop(order.pk, skus, was_paid=was_paid),
            follow_up_allowed=True,
        )
    logger.info("order cancelled", extra={"order": order.pk})
    return order


def cancel_locked(
    *,
    order: Order,
    kind: str,
    by: str,
    note: str,
    staff_user: User | None = None,
    notice: Callable[[list[str]], str] | None = None,
    follow_up_allowed: bool = False,
) -> list[str]:
    """Cancel a locked order as `by` (as the transitions table allows): its pieces go back on sale (through
    inventory), its lines stop counting, and the customer is told `notice(skus)` when given. Returns the SKUs
    put back."""
    from_status = move(order=order, to_status=Order.Status.CANCELLED, by=by)
    lines = list(order.lines.filter(is_active=True).select_related("item"))
    skus = [line.item.sku for line in lines]
    inventory_services.put_back_on_sale(item_ids=[line.item_id for line in lines])
    order.lines.update(is_active=False)
    order.cancelled_at = timezone.now()
    order.save(update_fields=["status", "cancelled_at", "updated_at"])
    told: Told = tell(customer=order.customer, text=notice(skus), follow_up_allowed=follow_up_allowed) if notice else {}
    record_event(
        order=order,
        kind=kind,
        by=by,
        staff_user=staff_user,
        from_status=from_status,
        to_status=order.status,
        note=note,
        **told,
    )
    return skus
