"""Writes to orders. Placing an order sells items; cancelling puts them back on sale.

Each topic has its own module; this one gathers their public names, the import path the other apps use:
`placing`, `payments` (Mark paid, a provider's payment, refunds, "paid!"), `shipping`, `cancelling`, `expiry`
(unpaid orders run out, reminders), `payment_links` (Stripe's link) and `clearing` (`seed --clear`). Each moves
an order only as the table in `transitions` allows, takes the order's lock from `locks` and writes its history
through `history`; how customers pay is `payment_providers`. None of them imports this module.
"""

from orders.cancelling import cancel_order, cancel_own_order
from orders.clearing import clear_orders
from orders.expiry import expire_order, expire_unpaid_orders, payment_deadline, remind_unpaid_orders
from orders.history import record_event
from orders.payment_links import how_to_pay, open_payment_link, resend_payment_link
from orders.payments import mark_paid, note_customer_says_paid, record_provider_payment, record_refund
from orders.placing import place_invoice_order, place_order
from orders.shipping import mark_shipped

__all__ = [
    # placing
    "place_order",
    "place_invoice_order",
    # payments
    "mark_paid",
    "record_provider_payment",
    "record_refund",
    "note_customer_says_paid",
    # shipping
    "mark_shipped",
    # cancelling
    "cancel_order",
    "cancel_own_order",
    # expiry
    "payment_deadline",
    "expire_order",
    "expire_unpaid_orders",
    "remind_unpaid_orders",
    # payment links
    "open_payment_link",
    "resend_payment_link",
    "how_to_pay",
    # history
    "record_event",
    # clearing
    "clear_orders",
]
