"""Telling a customer what happened to their order, and the words for it.

These go through the outbox like every message. Automated notices respect STOP and the reply window; the
owner's own news (shipped, or cancelled by the owner) may also go out as one of the follow-ups TikTok allows after
the window. The order's history records, per change, the message that told the customer or why none was queued.
"""

import logging

from django.conf import settings
from django.utils import timezone

from conversations.models import Customer, Message
from conversations.selectors import reply_window_closes_at
from conversations.services import queue_outbound_message

logger = logging.getLogger(__name__)


def why_not_told(*, customer: Customer, follow_up_allowed: bool = False) -> str:
    """Why an order notice may not be queued for the customer now (as the history says it: "Not told: …"), or ""
    when it may. The outbox checks TikTok's rules again when it sends."""
    if not customer.conversation_id:
        return "they have no TikTok conversation to write to"
    closes_at = reply_window_closes_at(customer=customer)
    window_open = closes_at is not None and timezone.now() < closes_at
    if not window_open and not follow_up_allowed:
        return f"their {settings.TIKTOK_WINDOW_HOURS}-hour reply window had closed"
    if customer.opted_out_at is not None and not follow_up_allowed:
        return "they sent STOP"
    return ""


def tell_customer(*, customer: Customer, text: str, follow_up_allowed: bool = False) -> Message | None:
    """Queue `text` for the customer; None (nothing queued) when they sent STOP, have no conversation, or when
    their window has closed and this is not news that may go as a follow-up (`why_not_told`). Call inside the
    change's transaction: the send goes out once it commits. The bot's pause does not stop it: the pause
    silences the assistant, not the shop's news of an order."""
    reason = why_not_told(customer=customer, follow_up_allowed=follow_up_allowed)
    if reason:
        logger.info("customer not told", extra={"customer": customer.pk, "reason": reason})
        return None
    role = Message.Role.STAFF if follow_up_allowed else Message.Role.SYSTEM
    return queue_outbound_message(customer=customer, text=text, role=role)


def payment_reminder(order_number: int, total: str, hours_left: str, how_to_pay: str) -> str:
    return (
        f"A reminder: order #{order_number} ({total}) is waiting for payment and is kept for you for another "
        f"{hours_left}. {how_to_pay}"
    )


def order_expired(order_number: int, skus: str) -> str:
    return (
        f"Order #{order_number} was not paid in time, so it is cancelled and {skus} are back on sale. "
        "Message me if you still want them!"
    )


def order_cancelled_by_the_shop(order_number: int, skus: list[str], *, was_paid: bool) -> str:
    pieces = f"{', '.join(skus)} {'are' if len(skus) > 1 else 'is'}"
    refund = " Your payment will be refunded in full." if was_paid else ""
    return (
        f"Sorry: the shop has cancelled order #{order_number}, and {pieces} back on sale.{refund} "
        "Message us if you have any questions."
    )


def thanks_for_paying(order_number: int, total: str) -> str:
    return (
        f"Thank you! Payment for order #{order_number} ({total}) is in. We'll send the tracking number when it ships."
    )


def late_payment_will_be_refunded(order_number: int) -> str:
    return (
        f"Your payment for order #{order_number} came in after the order had run out, and a piece in it has "
        "been sold since. Sorry! The owner will refund you in full."
    )


def payment_link(order_number: int, total: str, url: str) -> str:
    return (
        f"Pay for order #{order_number} ({total}) securely here: {url}\n"
        f"If the link gives you any trouble, your order number is #{order_number}."
    )


def pay_manually(order_number: int, instructions: str) -> str:
    return f"To pay for order #{order_number}: {instructions} Please put #{order_number} in the note."


def shipped(order_number: int, carrier: str, tracking_number: str, tracking_url: str) -> str:
    follow = f" Follow it here: {tracking_url}" if tracking_url else ""
    return f"Good news: order #{order_number} has shipped! {carrier} tracking number: {tracking_number}.{follow}"


def offer_accepted(sku: str, price: str) -> str:
    return f'Good news: your offer on {sku} is accepted! It\'s held for you at {price}. Say "buy" to order it.'


def offer_declined(sku: str, offered: str, price: str) -> str:
    return f"Sorry, the owner can't take {offered} for {sku}: the price stays {price}."


def offer_countered(sku: str, offered: str, counter: str) -> str:
    return f'About your offer of {offered} for {sku}: the owner can do {counter}. Say "yes" to have it held for you.'


def live_invoice(title: str, order_number: int, lines: list[str], shipping: str, total: str, how_to_pay: str) -> str:
    """A live stream's one invoice: every piece the customer won in it, shipping once, the total and how to pay."""
    return (
        f'Thanks for shopping the live "{title}"! Your invoice is order #{order_number}:\n'
        + "\n".join(lines)
        + f"\nShipping: {shipping}\nTotal: {total}\n{how_to_pay}"
    )


def live_pay_by(deadline: str) -> str:
    return f"Pieces not paid for by {deadline} go to the next in line."
