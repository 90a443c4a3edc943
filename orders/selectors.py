"""Reads of orders."""

from django.db.models import QuerySet

from conversations.models import Customer
from orders.models import Order


def customer_orders(*, customer: Customer) -> QuerySet[Order]:
    """The customer's orders, newest first, with their lines and items."""
    return Order.objects.filter(customer=customer).prefetch_related("lines__item").order_by("-created_at", "-pk")
