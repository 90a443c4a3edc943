"""Placing an order: a customer's holds become one pending order, at the prices of that moment — all their current
holds when they say "buy", or the pieces they won in a live stream, with shipping, on the stream's invoice."""

import logging
from collections.abc import Collection
from datetime import datetime
from decimal import Decimal

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
from propositions.models import InteractionKind
from propositions.services import record_interaction

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
        order = _order_holds(customer=customer, item_ids=None, now=now, by=OrderEvent.Actor.CUSTOMER)
        # A provider that calls out (Stripe) does it from a worker after commit, never under this transaction's locks.
        payment_provider().ask_for_payment(order=order)
    logger.info("order placed", extra={"order": order.pk, "customer": customer.pk, "total": str(order.total)})
    return order


def place_invoice_order(
    *, customer: Customer, item_ids: Collection[int], shipping: Decimal, expires_at: datetime, note: str
) -> Order | None:
    """One pending order for those of `item_ids` the customer holds now (not their other holds), with `shipping`
    added once and the payment deadline `expires_at`: a live stream's invoice. None when they hold none of them
    any more. The caller tells the customer how to pay (one message with the order); nothing is sent here.

    Locks the customer row, then the held items in primary-key order; call it in the caller's transaction."""
    with locking_transaction():
        Customer.objects.select_for_update(no_key=True).filter(pk=customer.pk).first()
        held = current_holds(customer=customer).filter(pk__in=list(item_ids)).values_list("pk", flat=True)
        if not held:
            return None
        order = _order_holds(
            customer=customer,
            item_ids=list(held),
            now=timezone.now(),
            by=OrderEvent.Actor.SYSTEM,
            shipping=shipping,
            expires_at=expires_at,
            note=note,
        )
        # What the customer bought, for the propositions' outcomes (a DM's own order is recorded with its message).
        record_interaction(customer=customer, kind=InteractionKind.BOUGHT, items=list(held))
    logger.info("invoice order placed", extra={"order": order.pk, "customer": customer.pk, "total": str(order.total)})
    return order


def _order_holds(
    *,
    customer: Customer,
    item_ids: list[int] | None,
    now: datetime,
    by: str,
    shipping: Decimal = Decimal("0.00"),
    expires_at: datetime | None = None,
    note: str = "",
) -> Order:
    """Sell the customer's current holds (only `item_ids` of them when given) into one new order; the customer row
    is locked by the caller. Raises `NothingToOrder` or `HoldLost`."""
    held = list(current_holds(customer=customer, now=now))
    if item_ids is not None:
        held = [item for item in held if item.pk in item_ids]
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
        customer=customer,
        total=sum(prices.values()) + shipping,
        shipping=shipping,
        expires_at=expires_at or payment_deadline(placed_at=now),
    )
    OrderItem.objects.bulk_create(OrderItem(order=order, item=item, price=prices[item.pk]) for item in items)
    lines = ", ".join(f"{item.sku} ${prices[item.pk]}" for item in items)
    shipped = f", shipping ${shipping}" if shipping else ""
    record_event(
        order=order, kind="placed", by=by, to_status=order.status, note=" ".join(filter(None, [note, lines + shipped]))
    )
    schedule_expiry(order=order)
    notify_order_placed(order_id=order.pk, customer_name=str(customer), total=order.total)
    return order
