"""Placing an order: a customer's current holds become one pending order, at the prices of that moment."""

import logging
from datetime import datetime

from django.utils import timezone

from conversations.models import Customer
from inventory import services as inventory_services
from inventory.exceptions import NotHeldBy
from inventory.selectors import current_holds
from notifications.services import notify_order_placed
from orders.exceptions import HoldLost, NothingToOrder
from orders.expiry import payment_deadline, schedule_expiry
from orders.history import record_event
from orders.models import Order, OrderEvent, OrderItem
from orders.offers import agreed_prices
from orders.payment_providers import payment_provider
from philia.db import locking_transaction

logger = logging.getLogger(__name__)


def place_order(*, customer: Customer, now: datetime | None = None) -> Order:
    """Turn the customer's current holds into one pending order: all or nothing.

    Locks the customer row, then (`inventory.services.sell_items`) the held items in primary-key order,
    which checks each is still held by this customer and marks it sold; snapshots prices and totals.
    Raises `NothingToOrder` or `HoldLost` (and changes nothing).
    """
    with locking_transaction():
        Customer.objects.select_for_update(no_key=True).filter(pk=customer.pk).first()
        now = now or timezone.now()
        held = list(current_holds(customer=customer, now=now))
        if not held:
            raise NothingToOrder()
        # A price agreed by offer belongs to the hold it was agreed on (the customer row is locked: it stays).
        agreed = agreed_prices(customer=customer, items=held)
        try:
            items = inventory_services.sell_items(item_ids=[item.pk for item in held], customer=customer, now=now)
        except NotHeldBy as lost:
            raise HoldLost(lost.sku) from lost
        prices = {item.pk: agreed.get(item.pk, item.price) for item in items}
        order = Order.objects.create(
            customer=customer, total=sum(prices.values()), expires_at=payment_deadline(placed_at=now)
        )
        OrderItem.objects.bulk_create(OrderItem(order=order, item=item, price=prices[item.pk]) for item in items)
        record_event(
            order=order,
            kind="placed",
            by=OrderEvent.Actor.CUSTOMER,
            to_status=order.status,
            note=", ".join(f"{item.sku} ${prices[item.pk]}" for item in items),
        )
        schedule_expiry(order=order)
        # A provider that calls out (Stripe) does it from a worker after commit, never under this transaction's locks.
        payment_provider().ask_for_payment(order=order)
        notify_order_placed(order_id=order.pk, customer_name=str(customer), total=order.total)
    logger.info("order placed", extra={"order": order.pk, "customer": customer.pk, "total": str(order.total)})
    return order
