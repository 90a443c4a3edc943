"""Reads of orders."""

from django.db.models import QuerySet

from conversations.models import Customer
from orders.models import Order, OrderItem


def customer_orders(*, customer: Customer) -> QuerySet[Order]:
    """The customer's orders, newest first, with their lines and items."""
    return Order.objects.filter(customer=customer).prefetch_related("lines__item").order_by("-created_at", "-pk")


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
