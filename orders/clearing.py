"""Emptying the demo shop's orders (`seed --clear`)."""

from django.db import connection, transaction

from orders.models import Offer, Order, StripeEvent


def clear_orders() -> dict[str, int]:
    """Delete every order (with its lines and history), every offer and every Stripe event (`seed --clear`);
    returns how many.

    Runs before the stock and the customers are cleared: order lines protect the items they sold, orders
    their customers. Stripe events go first: an event protects the order it paid.
    """
    with transaction.atomic():
        # The history is append-only (a trigger refuses DELETE); emptying the whole shop is the one exception.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL philia.clearing_shop = 'on'")
        stripe_events, _ = StripeEvent.objects.all().delete()
        _, orders = Order.objects.all().delete()
        _, offers = Offer.objects.all().delete()
    return {
        "orders": orders.get(Order._meta.label, 0),
        "offers": offers.get(Offer._meta.label, 0),
        "stripe events": stripe_events,
    }
