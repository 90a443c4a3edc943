"""Writes to orders. Placing an order sells items; cancelling puts them back on sale."""

import logging
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from conversations.models import Customer
from inventory.locks import lock_items
from inventory.models import Item
from inventory.services import put_back_on_sale
from orders import notices
from orders.exceptions import HoldLost, InvalidOrderTransition, NothingToOrder, OrderNotFound, TrackingNumberMissing
from orders.models import Order, OrderEvent, OrderItem
from orders.notices import tell_customer
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
        order = Order.objects.create(
            customer=customer, total=sum(item.price for item in items), expires_at=payment_deadline(placed_at=now)
        )
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
        transaction.on_commit(partial(_schedule_expiry, order_id=order.pk, expires_at=order.expires_at))
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
        _cancel_locked(order=order, kind="cancelled", by=by, staff_user=staff_user, note=reason)
    logger.info("order cancelled", extra={"order": order.pk})
    return order


def _cancel_locked(
    *, order: Order, kind: str, by: str, note: str, staff_user: AbstractBaseUser | None = None
) -> list[str]:
    """Cancel a locked order: its pieces go back on sale (through inventory), its lines stop counting.
    Returns the SKUs put back."""
    lines = list(order.lines.filter(is_active=True).select_related("item"))
    put_back_on_sale(item_ids=[line.item_id for line in lines])
    order.lines.update(is_active=False)
    from_status = order.status
    order.status = Order.Status.CANCELLED
    order.cancelled_at = timezone.now()
    order.save(update_fields=["status", "cancelled_at", "updated_at"])
    record_event(
        order=order, kind=kind, by=by, staff_user=staff_user, from_status=from_status, to_status=order.status, note=note
    )
    return [line.item.sku for line in lines]


# --- Unpaid orders run out -------------------------------------------------------------------------


def payment_deadline(*, placed_at: datetime) -> datetime:
    return placed_at + timedelta(hours=float(settings.ORDER_PAYMENT_HOURS))


def expire_order(*, order_id: int, now: datetime | None = None) -> bool:
    """Cancel one unpaid order whose payment window has run out, put its pieces back on sale and tell the
    customer (window and STOP permitting). True if it expired it; False (nothing changed) when the order
    is gone, paid, cancelled or not due yet, so a repeated or early job is harmless. Locks the order, then
    its items in primary-key order."""
    now = now or timezone.now()
    with locking_transaction():
        order = Order.objects.select_for_update(no_key=True).select_related("customer").filter(pk=order_id).first()
        if order is None or order.status != Order.Status.PENDING or order.expires_at is None or order.expires_at > now:
            return False
        skus = _cancel_locked(order=order, kind="expired", by=Actor.SYSTEM, note="not paid in time")
        tell_customer(customer=order.customer, text=notices.order_expired(order.pk, ", ".join(skus)))
    logger.info("unpaid order expired", extra={"order": order.pk, "skus": skus})
    return True


def expire_unpaid_orders(*, now: datetime | None = None) -> int:
    """Expire every unpaid order past its deadline; returns how many. Idempotent: each order is decided in
    its own short transaction under its row lock, so the sweep and the delayed job never both expire one."""
    now = now or timezone.now()
    due = (
        Order.objects.filter(status=Order.Status.PENDING, expires_at__lte=now)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return sum(expire_order(order_id=order_id, now=now) for order_id in list(due))


def remind_unpaid_orders(*, now: datetime | None = None) -> int:
    """Remind, once, each customer whose unpaid order runs out within ORDER_REMINDER_HOURS (0 = never);
    returns how many were reminded. The reminder is claimed with a conditional UPDATE, so it is sent once
    however many sweeps run."""
    hours = float(settings.ORDER_REMINDER_HOURS)
    if hours <= 0:
        return 0
    now = now or timezone.now()
    due = Order.objects.filter(
        status=Order.Status.PENDING,
        reminded_at__isnull=True,
        expires_at__gt=now,
        expires_at__lte=now + timedelta(hours=hours),
    ).select_related("customer")
    reminded = 0
    for order in due:
        with transaction.atomic():
            claimed = Order.objects.filter(pk=order.pk, status=Order.Status.PENDING, reminded_at__isnull=True).update(
                reminded_at=now, updated_at=now
            )
            if not claimed:
                continue
            text = notices.payment_reminder(
                order.pk, f"${order.total}", _hours_text(order.expires_at - now), how_to_pay(order=order)
            )
            if tell_customer(customer=order.customer, text=text) is not None:
                reminded += 1
                record_event(order=order, kind="reminded", to_status=order.status, note="payment reminder sent")
    return reminded


def _hours_text(left: timedelta) -> str:
    hours = left.total_seconds() / 3600
    if hours < 1:
        return f"{max(1, round(hours * 60))} minutes"
    return f"{round(hours)} hour{'s' if round(hours) != 1 else ''}"


def how_to_pay(*, order: Order) -> str:
    """The payment instructions for this order."""
    return settings.PAYMENT_INSTRUCTIONS


def _schedule_expiry(*, order_id: int, expires_at: datetime) -> None:
    """A delayed job that expires the order at its deadline (the sweep is the safety net for a lost one)."""
    from orders.tasks import expire_order_job

    delay_ms = max(0, int((expires_at - timezone.now()).total_seconds() * 1000))
    try:
        expire_order_job.send_with_options(args=(order_id,), delay=delay_ms)
    except Exception:
        logger.exception("order expiry not scheduled; the sweep will expire it", extra={"order": order_id})
