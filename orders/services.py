"""Writes to orders. Placing an order sells items; cancelling puts them back on sale."""

import logging
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone

from conversations.models import Customer
from inventory.locks import lock_items
from inventory.models import Item
from orders.exceptions import HoldLost, InvalidOrderTransition, NothingToOrder, OrderNotFound, TrackingNumberMissing
from orders.models import Order, OrderEvent, OrderItem
from philia.db import locking_transaction

logger = logging.getLogger(__name__)

Actor = OrderEvent.Actor


def record_event(
    *,
    order: Order,
    kind: str,
    by: str = Actor.SYSTEM,
    staff_user: AbstractBaseUser | None = None,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
) -> OrderEvent:
    """Append one line to the order's history (never changed afterwards). Call inside the change's transaction."""
    return OrderEvent.objects.create(
        order=order,
        kind=kind,
        actor=by,
        staff_user=staff_user if by == Actor.OWNER else None,
        from_status=from_status,
        to_status=to_status,
        note=note.strip(),
    )


def place_order(*, customer: Customer, now: datetime | None = None, by: str = Actor.CUSTOMER) -> Order:
    """Turn the customer's current holds into one pending order: all or nothing.

    Locks the customer row, then the held items in primary-key order; checks each is still held by
    this customer, snapshots prices, totals, and marks the items sold. Raises `NothingToOrder` or
    `HoldLost` (and changes nothing).
    """
    with locking_transaction():
        Customer.objects.select_for_update(no_key=True).filter(pk=customer.pk).first()
        now = now or timezone.now()
        held_ids = list(
            Item.objects.filter(held_by=customer, status=Item.Status.RESERVED, held_until__gt=now).values_list(
                "pk", flat=True
            )
        )
        if not held_ids:
            raise NothingToOrder()
        items = list(lock_items(ids=held_ids))
        for item in items:
            if item.status != Item.Status.RESERVED or item.held_by_id != customer.pk or item.held_until <= now:
                raise HoldLost(item.sku)
        order = Order.objects.create(customer=customer, total=sum(item.price for item in items))
        OrderItem.objects.bulk_create(OrderItem(order=order, item=item, price=item.price) for item in items)
        Item.objects.filter(pk__in=[item.pk for item in items]).update(
            status=Item.Status.SOLD, held_by=None, held_until=None, updated_at=now
        )
        record_event(
            order=order,
            kind="placed",
            by=by,
            to_status=order.status,
            note=", ".join(f"{item.sku} ${item.price}" for item in items),
        )
    logger.info("order placed", extra={"order": order.pk, "customer": customer.pk, "total": str(order.total)})
    return order


def _lock_order(order_id: int) -> Order:
    order = Order.objects.select_for_update(no_key=True).filter(pk=order_id).first()
    if order is None:
        raise OrderNotFound(order_id)
    return order


def mark_paid(
    *, order: Order, payment_reference: str = "", by: str = Actor.OWNER, staff_user: AbstractBaseUser | None = None
) -> Order:
    """Pending → paid. Locks the order row."""
    with locking_transaction():
        order = _lock_order(order.pk)
        if order.status != Order.Status.PENDING:
            raise InvalidOrderTransition(order.pk, order.get_status_display().lower(), "marked paid")
        order.status = Order.Status.PAID
        order.paid_at = timezone.now()
        order.payment_reference = payment_reference.strip() or order.payment_reference
        order.save(update_fields=["status", "paid_at", "payment_reference", "updated_at"])
        record_event(
            order=order,
            kind="paid",
            by=by,
            staff_user=staff_user,
            from_status=Order.Status.PENDING,
            to_status=order.status,
            note=order.payment_reference,
        )
    logger.info("order paid", extra={"order": order.pk})
    return order


def mark_shipped(
    *, order: Order, tracking_number: str, by: str = Actor.OWNER, staff_user: AbstractBaseUser | None = None
) -> Order:
    """Paid → shipped, with the parcel's tracking number. Locks the order row."""
    tracking_number = tracking_number.strip()
    if not tracking_number:
        raise TrackingNumberMissing(order.pk)
    with locking_transaction():
        order = _lock_order(order.pk)
        if order.status != Order.Status.PAID:
            raise InvalidOrderTransition(order.pk, order.get_status_display().lower(), "marked shipped")
        order.status = Order.Status.SHIPPED
        order.shipped_at = timezone.now()
        order.tracking_number = tracking_number
        order.save(update_fields=["status", "shipped_at", "tracking_number", "updated_at"])
        record_event(
            order=order,
            kind="shipped",
            by=by,
            staff_user=staff_user,
            from_status=Order.Status.PAID,
            to_status=order.status,
            note=tracking_number,
        )
    logger.info("order shipped", extra={"order": order.pk, "tracking_number": tracking_number})
    return order


def cancel_order(
    *, order: Order, reason: str = "", by: str = Actor.OWNER, staff_user: AbstractBaseUser | None = None
) -> Order:
    """Pending or paid → cancelled; its items go back on sale. Locks the order, then its items by pk."""
    with locking_transaction():
        order = _lock_order(order.pk)
        if order.status not in (Order.Status.PENDING, Order.Status.PAID):
            raise InvalidOrderTransition(order.pk, order.get_status_display().lower(), "cancelled")
        item_ids = list(order.lines.filter(is_active=True).values_list("item_id", flat=True))
        list(lock_items(ids=item_ids))
        Item.objects.filter(pk__in=item_ids, status=Item.Status.SOLD).update(
            status=Item.Status.AVAILABLE, updated_at=timezone.now()
        )
        order.lines.update(is_active=False)
        from_status = order.status
        order.status = Order.Status.CANCELLED
        order.cancelled_at = timezone.now()
        order.save(update_fields=["status", "cancelled_at", "updated_at"])
        record_event(
            order=order,
            kind="cancelled",
            by=by,
            staff_user=staff_user,
            from_status=from_status,
            to_status=order.status,
            note=reason,
        )
    logger.info("order cancelled", extra={"order": order.pk})
    return order
