"""An order's Stripe payment link: the open one, how to pay while it is open, and a fresh one when asked again.

Stripe is called only by the `send_payment_link` worker (`orders.stripe_payments.create_payment_link`), after the
transaction that asked for the link commits: never while an order's locks are held.
"""

from django.conf import settings
from django.utils import timezone

from conversations.models import Customer
from orders.exceptions import NoUnpaidOrder
from orders.models import Order
from philia import jobs


def send_payment_link(*, order_id: int) -> None:
    """Once the current transaction commits, a worker creates the order's Checkout Session and DMs its link."""
    jobs.enqueue_on_commit(
        "send_payment_link", order_id, unless_sent="no payment link until the customer asks for it again"
    )


def open_payment_link(*, order: Order) -> str:
    """The order's Stripe Checkout link while its session is open, else ""."""
    if (
        order.stripe_session_url
        and order.stripe_session_expires_at
        and order.stripe_session_expires_at > timezone.now()
    ):
        return order.stripe_session_url
    return ""


def resend_payment_link(*, customer: Customer) -> tuple[Order, str]:
    """The customer asks for the payment link again: their latest unpaid order and its open Stripe link, or ""
    when the session has expired (or never came), and then the payment-link worker creates a fresh session for
    the same order once this transaction commits and DMs its link. Raises `NoUnpaidOrder`."""
    order = Order.objects.filter(customer=customer, status=Order.Status.PENDING).order_by("-created_at", "-pk").first()
    if order is None:
        raise NoUnpaidOrder()
    link = open_payment_link(order=order)
    if not link:
        send_payment_link(order_id=order.pk)
    return order, link


def how_to_pay(*, order: Order) -> str:
    """How to pay this order: its Stripe link while one is open, else the shop's instructions."""
    if open_payment_link(order=order):
        return f"Pay here: {order.stripe_session_url} (order #{order.pk})."
    return settings.PAYMENT_INSTRUCTIONS
