"""Unpaid orders run out: each has a payment deadline, a delayed job that expires it then, one reminder before,
and the five-minute sweep (`orders.tasks.sweep_unpaid_orders`) as the safety net for a lost job."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orders import notices
from orders.cancelling import cancel_locked
from orders.history import record_event
from orders.models import Order, OrderEvent
from orders.payment_links import how_to_pay
from orders.transitions import may_move
from philia import jobs
from philia.db import locking_transaction

logger = logging.getLogger(__name__)


def payment_deadline(*, placed_at: datetime) -> datetime:
    return placed_at + timedelta(hours=float(settings.ORDER_PAYMENT_HOURS))


def schedule_expiry(*, order: Order) -> None:
    """Once the current transaction commits, a delayed job expires the order at its deadline (the sweep is the
    safety net for a lost one)."""
    if order.expires_at is None:
        raise ValueError(f"order {order.pk} has no payment deadline to expire it at")
    delay_ms = max(0, int((order.expires_at - timezone.now()).total_seconds() * 1000))
    jobs.enqueue_on_commit("expire_order_job", order.pk, delay_ms=delay_ms, unless_sent="the sweep will expire it")


def expire_order(*, order_id: int, now: datetime | None = None) -> bool:
    """Cancel one unpaid order whose payment window has run out, put its pieces back on sale and tell the
    customer (window and STOP permitting). True if it expired it; False (nothing changed) when the order
    is gone, paid, cancelled or not due yet, so a repeated or early job is harmless. Locks the order, then
    its items in primary-key order."""
    now = now or timezone.now()
    with locking_transaction():
        order = Order.objects.select_for_update(no_key=True).select_related("customer").filter(pk=order_id).first()
        if (
            order is None
            or not may_move(from_status=order.status, to_status=Order.Status.CANCELLED, by=OrderEvent.Actor.SYSTEM)
            or order.expires_at is None
            or order.expires_at > now
        ):
            return False
        skus = cancel_locked(
            order=order,
            kind="expired",
            by=OrderEvent.Actor.SYSTEM,
            note="not paid in time",
            notice=lambda skus: notices.order_expired(order.pk, ", ".join(skus)),
        )
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
            assert order.expires_at is not None  # `due` has only orders with one
            text = notices.payment_reminder(
                order.pk, f"${order.total}", _hours_text(order.expires_at - now), how_to_pay(order=order)
            )
            reminder = notices.tell_customer(customer=order.customer, text=text)
            if reminder is not None:
                reminded += 1
                record_event(
                    order=order, kind="reminded", to_status=order.status, note="payment reminder sent", notice=reminder
                )
    return reminded


def _hours_text(left: timedelta) -> str:
    hours = left.total_seconds() / 3600
    if hours < 1:
        return f"{max(1, round(hours * 60))} minutes"
    return f"{round(hours)} hour{'s' if round(hours) != 1 else ''}"
