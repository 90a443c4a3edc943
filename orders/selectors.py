"""Reads of orders."""

from django.db.models import QuerySet

from conversations.models import Customer
from inventory.models import Item
from orders.models import Order, OrderItem


def customer_orders(*, customer: Customer) -> QuerySet[Order]:
    """The customer's orders, newest first, with their lines and items."""
    return Order.objects.filter(customer=customer).prefetch_related("lines__item").order_by("-created_at", "-pk")


def bought_items(*, customer: Customer, limit: int = 10) -> list[Item]:
    """The items of the customer's orders that still stand (not cancelled), newest order first: the pieces a
    customer may mean by "the levi's" when they bought a pair."""
    lines = (
        OrderItem.objects.filter(order__customer=customer, is_active=True)
        .exclude(order__status=Order.Status.CANCELLED)
        .select_related("item")
        .order_by("-order__created_at", "-pk")[:limit]
    )
    return [line.item for line in lines]


def has_bought(*, customer: Customer, item_id: int) -> bool:
    """Is this item in one of the customer's orders that still stands?"""
    return OrderItem.objects.filter(item_id=item_id, is_active=True, order__customer=customer).exists()


def bought_among(*, customer: Customer, item_ids: list[int]) -> set[int]:
    """Which of these items are in one of the customer's orders that still stand (`has_bought` of many, one query)."""
    return set(
        OrderItem.objects.filter(item_id__in=item_ids, is_active=True, order__customer=customer).values_list(
            "item_id", flat=True
        )
    )
