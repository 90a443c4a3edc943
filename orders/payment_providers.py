"""How customers pay, chosen once: `payment_provider()` is the provider `PAYMENT_PROVIDER` names.

- `manual` (the default): customers pay by `PAYMENT_INSTRUCTIONS` (the assistant's reply to their order says
  them), and the owner records the money with **Mark paid…** (`orders.payments.mark_paid`).
- `stripe`: a worker sends each new order a Checkout link, and Stripe's webhook records the money
  (`orders.stripe_payments`).

The settings refuse any other value at start-up; a provider added here is one more name there.
"""

from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from orders.models import Order, Payment
from orders.payment_links import send_payment_link


class PaymentProvider(Protocol):
    name: str  # its PAYMENT_PROVIDER value, and its `Payment.Provider`
    # Customers pay through a link the shop sends them (card, Apple Pay, Google Pay), and the payment confirms the
    # order by itself; else they pay as PAYMENT_INSTRUCTIONS say and the owner records it. What the assistant says.
    pays_by_link: bool

    def ask_for_payment(self, *, order: Order) -> None:
        """Inside the transaction that placed `order`: ask the customer to pay it, once that commits."""


class ManualPayments:
    name = Payment.Provider.MANUAL.value
    pays_by_link = False

    def ask_for_payment(self, *, order: Order) -> None:
        """Nothing to send: the assistant's reply to the order gives the shop's instructions."""


class StripePayments:
    name = Payment.Provider.STRIPE.value
    pays_by_link = True

    def ask_for_payment(self, *, order: Order) -> None:
        """A worker creates the order's Checkout Session after commit and DMs its link."""
        send_payment_link(order_id=order.pk)


PROVIDERS: dict[str, PaymentProvider] = {provider.name: provider for provider in (ManualPayments(), StripePayments())}


def payment_provider() -> PaymentProvider:
    """The provider PAYMENT_PROVIDER names, read at each call (tests switch it). Raises `ImproperlyConfigured` for a
    name the shop does not know, as the settings do at start-up."""
    try:
        return PROVIDERS[settings.PAYMENT_PROVIDER]
    except KeyError:
        names = " or ".join(f'"{name}"' for name in PROVIDERS)
        raise ImproperlyConfigured(f"PAYMENT_PROVIDER is {names}, not {settings.PAYMENT_PROVIDER!r}.") from None
