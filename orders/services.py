"""Writes to orders. Placing an order sells items; cancelling puts them back on sale."""

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from conversations.models import Customer
from inventory.locks import lock_items
from inventory.models import Item
from notifications.services import notify_order_placed
from orders.exceptions import HoldLost, InvalidOrderTransition, NothingToOrder, OrderNotFound, TrackingNumberMissing
from orders.models import Order, OrderEvent, OrderItem

logger = logging.getLogger(__name__)


def place_order(*, customer: Customer, now: datetime | None = None) -> Order:
    """Turn the customer's current holds into one pending order: all or nothing.

    Locks the customer row, then the held items in primary-key order; checks each is still held by
    this customer, snapshots prices, totals, and marks the items sold. Raises `NothingToOrder` or
    `HoldLost` (and changes nothing).
    """
    with transaction.atomic():
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
        OrderEvent.objects.create(
            order=order, kind="placed", note=", ".join(f"{item.sku} ${item.price}" for item in items)
        )
        notify_order_placed(order_id=order.pk, customer_name=str(customer), total=order.total)
    logger.info("order placed", extra={"order": order.pk, "customer": customer.pk, "total": str(order.total)})
    return order


def _lock_order(order_id: int) -> Order:
    order = Order.objects.select_for_update(no_key=True).filter(pk=order_id).first()
    if order is None:
        raise OrderNotFound(order_id)
    return order


def mark_paid(*, order: Order, payment_reference: str = "") -> Order:
    """Pending → paid. Locks the order row."""
    with transaction.atomic():
        order = _lock_order(order.pk)
        if order.status != Order.Status.PENDING:
            raise InvalidOrderTransition(order.pk, order.get_status_display().lower(), "marked paid")
        order.status = Order.Status.PAID
        order.paid_at = timezone.now()
        order.payment_reference = payment_reference.strip() or order.payment_reference
        order.save(update_fields=["status", "paid_at", "payment_reference", "updated_at"])
        OrderEvent.objects.create(order=order, kind="paid", note=order.payment_reference)
    logger.info("order paid", extra={"order": order.pk})
    return order


def mark_shipped(*, order: Order, tracking_number: str) -> Order:
    """Paid → shipped, with the parcel's tracking number. Locks the order row."""
    tracking_number = tracking_number.strip()
    if not tracking_number:
        raise TrackingNumberMissing(order.pk)
    with transaction.atomic():
        order = _lock_order(order.pk)
        if order.status != Order.Status.PAID:
            raise InvalidOrderTransition(order.pk, order.get_status_display().lower(), "marked shipped")
        order.status = Order.Status.SHIPPED
        order.shipped_at = timezone.now()
        order.tracking_number = tracking_number
        order.save(update_fields=["status", "shipped_at", "tracking_number", "updated_at"])
        OrderEvent.objects.create(order=order, kind="shipped", note=tracking_number)
    logger.info("order shipped", extra={"order": order.pk, "tracking_number": tracking_number})
    return order


def cancel_order(*, order: Order, reason: str = "") -> Order:
    """Pending or paid → cancelled; its items go back on sale. Locks the order, then its items by pk."""
    with transaction.atomic():
        order = _lock_order(order.pk)
        if order.status not in (Order.Status.PENDING, Order.Status.PAID):
            raise InvalidOrderTransition(order.pk, order.get_status_display().lower(), "cancelled")
        item_ids = list(order.lines.filter(is_active=True).values_list("item_id", flat=True))
        list(lock_items(ids=item_ids))
        Item.objects.filter(pk__in=item_ids, status=Item.Status.SOLD).update(
            status=Item.Status.AVAILABLE, updated_at=timezone.now()
        )
        order.lines.update(is_active=False)
        order.status = Order.Status.CANCELLED
        order.cancelled_at = timezone.now()
        order.save(update_fields=["status", "cancelled_at", "updated_at"])
        OrderEvent.objects.create(order=order, kind="cancelled", note=reason.strip())
    logger.info("order cancelled", extra={"order": order.pk})
    return order
