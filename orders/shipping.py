"""Shipping a paid order: its carrier and tracking number, and the customer told with a tracking link."""

import logging

from django.contrib.auth.models import User
from django.utils import timezone

from conversations.models import Customer
from orders import notices
from orders.exceptions import TrackingNumberMissing, UnknownCarrier
from orders.history import record_event, tell
from orders.locks import lock_order
from orders.models import Carrier, Order, OrderEvent
from orders.transitions import move
from philia.db import locking_transaction

logger = logging.getLogger(__name__)


def mark_shipped(
    *,
    order: Order,
    tracking_number: str,
    carrier: str = Carrier.OTHER,
    staff_user: User | None = None,
) -> Order:
    """Paid → shipped, with the parcel's carrier and tracking number; the customer is told (with a tracking
    link for a known carrier), also after their window as one of the follow-ups TikTok allows — the outbox
    decides. Locks the order row."""
    tracking_number = tracking_number.strip()
    if not tracking_number:
        raise TrackingNumberMissing(order.pk)
    if carrier not in Carrier.values:
        raise UnknownCarrier(carrier)
    with locking_transaction():
        order = lock_order(order_id=order.pk)
        from_status = move(order=order, to_status=Order.Status.SHIPPED, by=OrderEvent.Actor.OWNER)
        order.shipped_at = timezone.now()
        order.tracking_number = tracking_number
        order.carrier = carrier
        told = tell(
            customer=Customer.objects.get(pk=order.customer_id),
            text=notices.shipped(order.pk, Carrier(carrier).label, tracking_number, order.tracking_url),
            follow_up_allowed=True,
        )
        record_event(
            order=order,
            kind="shipped",
            by=OrderEvent.Actor.OWNER,
            staff_user=staff_user,
            from_status=from_status,
            to_status=order.status,
            note=f"{Carrier(carrier).label} {tracking_number}",
            **told,
        )
        order.shipping_notice = told.get("notice")
        order.save(
            update_fields=["status", "shipped_at", "tracking_number", "carrier", "shipping_notice", "updated_at"]
        )
    logger.info("order shipped", extra={"order": order.pk, "tracking_number": tracking_number})
    return order
