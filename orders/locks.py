"""The order's row lock, taken first by every change of an order (then, through inventory, its items by pk)."""

from orders.exceptions import OrderNotFound
from orders.models import Order


def lock_order(*, order_id: int) -> Order:
    """The order's row, locked `FOR NO KEY UPDATE` for the rest of the caller's transaction. Raises `OrderNotFound`."""
    order = Order.objects.select_for_update(no_key=True).filter(pk=order_id).first()
    if order is None:
        raise OrderNotFound(order_id)
    return order
