"""Orders and paying: placing an order, its payment link, cancelling, and where an order is."""

import re

from django.conf import settings

from orders.payment_providers import payment_provider


def buy_which(lines: str) -> str:
    return "Which one would you like to buy?\n" + lines + "\nSend the SKU."


def order_waiting_for_payment(number: int, total: str, link: str = "") -> str:
    if payment_provider().pays_by_link:
        return f"Your order #{number} ({total}) is waiting for payment. " + payment_link_hint(link)
    return (
        f"Your order #{number} ({total}) is waiting for payment. "
        + settings.PAYMENT_INSTRUCTIONS
        + f" Please put #{number} in the note."
    )


def payment_link_hint(link: str) -> str:
    """With Stripe: how to pay an unpaid order, its open link or how to get a fresh one."""
    if link:
        return f"Pay securely here: {link}"
    return 'Say "send me the link" and I\'ll send you a fresh payment link.'


def payment_link_again(number: int, total: str, link: str) -> str:
    return f"Here's your payment link for order #{number} ({total}): {link}\nYour order number is #{number}."


def fresh_payment_link_coming(number: int, total: str) -> str:
    return f"A fresh payment link for order #{number} ({total}) is on its way: it'll be here in a moment."


def could_not_send_link(why: str) -> str:
    return "I couldn't get your payment link: " + why


NO_ORDER_TO_PAY = "You have no order waiting for payment, so there's no payment link to send."


def nothing_to_buy() -> str:
    return (
        "You're not holding anything yet. Find a piece you like, say \"I'll take it\" (or send its SKU) and "
        'then "buy". ' + settings.PAYMENT_INSTRUCTIONS
    )


def hold_ran_out(sku: str) -> str:
    return f"Your hold on {sku} ran out just now, so nothing was ordered. Want me to try again?"


def could_not_order(why: str) -> str:
    return "I couldn't place the order: " + why


def order_cancelled(number: int, skus: str) -> str:
    return f"Done: order #{number} is cancelled and {skus} went back on sale. Nothing to pay."


def order_too_far_to_cancel(number: int, status: str) -> str:
    why = "it has already shipped" if status == "shipped" else "it is already paid"
    return (
        f"I can't cancel order #{number}: {why}. The owner handles changes to paid orders: "
        'say "human" and they\'ll get back to you.'
    )


NO_ORDER_TO_CANCEL = "You have no order waiting for payment, so there is nothing to cancel."
NO_ORDER_TO_CANCEL_BUT_HOLDS = (
    'You have no order to cancel, only pieces on hold: say "cancel my hold" if you want to let them go.'
)


def could_not_cancel(why: str) -> str:
    return "I couldn't cancel the order: " + why


ORDER_PLACED = re.compile(r"\byour order #\d+ is in:", re.IGNORECASE)


def placed_an_order(said: str) -> bool:
    """Is this what the shop says when it places an order (see `order_placed`)?"""
    return bool(ORDER_PLACED.search(said))


def order_placed(number: int, lines: str, total: str) -> str:
    if payment_provider().pays_by_link:
        return (
            f"Your order #{number} is in:\n{lines}\nTotal: {total}\n"
            f"Your secure payment link (card, Apple Pay or Google Pay) comes in a moment; #{number} is your reference."
        )
    return (
        f"Your order #{number} is in:\n{lines}\nTotal: {total}\n"
        + settings.PAYMENT_INSTRUCTIONS
        + f" Please put #{number} in the note."
    )


def no_order_but_holds(lines: str) -> str:
    return "You don't have an order yet, but you're holding:\n" + lines + '\nSay "buy" to turn them into an order.'


NO_ORDERS = "I can't find any orders for you yet. Once you buy something, you can ask me about it here."


def order_line(number: int, count: int, total: str, status: str, tracking_number: str = "") -> str:
    line = f"Order #{number} · {count} item{'s' if count != 1 else ''} · {total} · {status}"
    if tracking_number:
        line += f" (tracking number {tracking_number})"
    return line


def payment_will_be_confirmed(numbers: str) -> str:
    if payment_provider().pays_by_link:
        return (
            f"Thank you! A payment through the link confirms order {numbers} by itself: you'll get a thank-you here "
            "as soon as it lands. If you paid another way, the owner will check and confirm it here. "
            + settings.SHIPPING_INSTRUCTIONS
        )
    return (
        f"Thank you! The owner checks payments by hand and will confirm order {numbers} here as soon as it "
        "shows up. " + settings.SHIPPING_INSTRUCTIONS
    )


THANK_YOU = "Thank you! "
PAID_BUT_ONLY_HOLDS = (
    'Thank you! I can\'t see an order for you yet: say "buy" to turn your holds into an order, and the owner '
    "will match your payment to it."
)
PAID_BUT_NOTHING = (
    "Thank you! I can't see an order for you yet, so I've nothing to match it to. If you'd like the owner to "
    'look into it, just say "human".'
)
