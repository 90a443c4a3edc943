"""Writes to orders. Placing an order sells items; cancelling puts them back on sale."""

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from conversations.models import Customer
from inventory import services as inventory_services
from inventory.exceptions import NotHeldBy
from inventory.selectors import current_holds
from orders.exceptions import HoldLost, InvalidOrderTransition, NothingToOrder, OrderNotFound, TrackingNumberMissing
from orders.models import Offer, Order, OrderEvent, OrderItem

logger = logging.getLogger(__name__)


def place_order(*, customer: Customer, now: datetime | None = None) -> Order:
    """Turn the customer's current holds into one pending order: all or nothing.

    Locks the customer row, then (`inventory.services.sell_items`) the held items in primary-key order,
    which checks each is still held by this customer and marks it sold; snapshots prices and totals.
    Raises `NothingToOrder` or `HoldLost` (and changes nothing).
    """
    with transaction.atomic():
        Customer.objects.select_for_update(no_key=True).filter(pk=customer.pk).first()
        now = now or timezone.now()
        held_ids = list(current_holds(customer=customer, now=now).values_list("pk", flat=True))
        if not held_ids:
            raise NothingToOrder()
        try:
            items = inventory_services.sell_items(item_ids=held_ids, customer=customer, now=now)
        except NotHeldBy as lost:
            raise HoldLost(lost.sku) from lost
        order = Order.objects.create(customer=customer, total=sum(item.price for item in items))
        OrderItem.objects.bulk_create(OrderItem(order=order, item=item, price=item.price) for item in items)
        OrderEvent.objects.create(
            order=order, kind="placed", note=", ".join(f"{item.sku} ${item.price}" for item in items)
        )
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
    """Pending or paid → cancelled; its items go back on sale (`inventory.services.put_back_on_sale`).
    Locks the order, then its items by pk."""
    with transaction.atomic():
        order = _lock_order(order.pk)
        if order.status not in (Order.Status.PENDING, Order.Status.PAID):
            raise InvalidOrderTransition(order.pk, order.get_status_display().lower(), "cancelled")
        item_ids = list(order.lines.filter(is_active=True).values_list("item_id", flat=True))
        inventory_services.put_back_on_sale(item_ids=item_ids)
        order.lines.update(is_active=False)
        order.status = Order.Status.CANCELLED
        order.cancelled_at = timezone.now()
        order.save(update_fields=["status", "cancelled_at", "updated_at"])
        OrderEvent.objects.create(order=order, kind="cancelled", note=reason.strip())
    logger.info("order cancelled", extra={"order": order.pk})
    return order


def clear_orders() -> dict[str, int]:
    """Delete every order (with its lines and history) and every offer (`seed --clear`); returns how many.

    Runs before the stock and the customers are cleared: order lines protect the items they sold, orders
    their customers.
    """
    with transaction.atomic():
        _, orders = Order.objects.all().delete()
        _, offers = Offer.objects.all().delete()
    return {"orders": orders.get(Order._meta.label, 0), "offers": offers.get(Offer._meta.label, 0)}
