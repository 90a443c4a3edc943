"""What the assistant is told about an item or an order: plain facts read from the database (`Facts`), with
each item's status as this customer sees it. Never prose, and never another customer's name."""

from collections.abc import Sequence
from datetime import datetime

from assistant.results import Facts
from conversations.models import Customer
from inventory.models import Item
from orders import services as order_services
from orders.models import Order
from orders.offers import agreed_prices
from orders.selectors import bought_among, has_bought

ORDER_STATUS_WORDS: dict[str, str] = {
    Order.Status.PENDING: "awaiting payment",
    Order.Status.PAID: "paid, being packed",
    Order.Status.SHIPPED: "shipped",
    Order.Status.CANCELLED: "cancelled",
}


def item_status(item: Item, *, customer: Customer, now: datetime, bought: bool | None = None) -> str:
    """available, held_by_you, held (by someone else, never who), bought_by_you, sold, hidden, or
    upcoming_drop (in a drop still to come: nobody can hold it yet). `bought`: whether the customer bought a sold
    item, when already known (else it is read)."""
    if item.drops_at is not None and item.drops_at > now and item.status != Item.Status.HIDDEN:
        return "upcoming_drop"
    if item.is_free(now=now):
        return "available"
    if item.status == Item.Status.RESERVED:
        return "held_by_you" if item.held_by_id == customer.pk else "held"
    if item.status == Item.Status.SOLD:
        if bought is None:
            bought = has_bought(customer=customer, item_id=item.pk)
        return "bought_by_you" if bought else "sold"
    return "hidden"


def items_facts(items: Sequence[Item], *, customer: Customer, now: datetime, full: bool = False) -> list[Facts]:
    """`item_facts` of several items, whether the customer bought the sold ones read once for all of them."""
    sold = [item.pk for item in items if item.status == Item.Status.SOLD]
    bought = bought_among(customer=customer, item_ids=sold) if sold else set()
    return [
        item_facts(item, customer=customer, now=now, full=full, bought=item.pk in bought if item.pk in sold else None)
        for item in items
    ]


def item_facts(
    item: Item, *, customer: Customer, now: datetime, full: bool = False, bought: bool | None = None
) -> Facts:
    status = item_status(item, customer=customer, now=now, bought=bought)
    facts: Facts = {
        "sku": item.sku,
        "name": item.name,
        "brand": item.brand,
        "size": item.size_label,
        "price": f"{item.price:.2f}",
        "status": status,
    }
    if status == "held_by_you":
        facts["held_until"] = item.hold_runs_out_at().isoformat()
        # Held at a price agreed by offer: that is the price for this customer (their order uses it), never the list's.
        agreed = agreed_prices(customer=customer, items=[item]).get(item.pk)
        if agreed is not None:
            facts["price"] = f"{agreed:.2f}"
    elif status == "held":
        facts["available_again_at"] = item.hold_runs_out_at().isoformat()
    elif status == "upcoming_drop" and item.drops_at is not None:  # always set then (`item_status`)
        facts["drops_at"] = item.drops_at.isoformat()
    if full:
        facts.update(
            category=item.category,
            colour=item.colour,
            era=item.era,
            condition=item.condition,
            measurements=item.ordered_measurements,
            description=item.description[:600],
        )
    return facts


def order_facts(order: Order) -> Facts:
    facts: Facts = {
        "order_number": order.pk,
        "status": ORDER_STATUS_WORDS.get(order.status, order.status),
        "total": f"{order.total:.2f}",
        "placed_at": order.created_at.isoformat(),
        "items": [
            {"sku": line.item.sku, "name": line.item.name, "price": f"{line.price:.2f}"} for line in order.lines.all()
        ],
    }
    if order.status == Order.Status.SHIPPED:
        facts["tracking_number"] = order.tracking_number
        if order.shipped_at:
            facts["shipped_at"] = order.shipped_at.isoformat()
    if order.status == Order.Status.PENDING and order_services.open_payment_link(order=order):
        facts["payment_link"] = order.stripe_session_url
    if order.status == Order.Status.PAID and order.paid_at:
        facts["paid_at"] = order.paid_at.isoformat()
    return facts
