"""Orders and payment: "buy", "where is my order?", "paid!"."""

from django.conf import settings

from assistant import language, wording
from assistant.formatting import item_lines, money
from assistant.offline import holds as holding
from assistant.offline.context import Turn
from assistant.references import describes
from assistant.results import (
    ClaimRecorded,
    Facts,
    Held,
    HoldLost,
    NothingToOrder,
    NoUnpaidOrder,
    OrderCancelled,
    OrderPlaced,
    PaymentClaimNoted,
    PaymentLinkComing,
    PaymentLinkOpen,
    Refused,
)
from orders.payment_providers import payment_provider


def buy(turn: Turn) -> str:
    text = turn.text
    if turn.mentioned.unknown_skus and not turn.mentioned.items:
        return wording.not_found(turn.mentioned.unknown_skus)
    holds = turn.toolbox.holds()
    wanted: list[Facts] = []
    query = turn.parse()
    if (
        turn.mentioned.items
        or language.ordinal(text) is not None
        or (language.refers_to_it(text) and not holds)
        or (query.brands or query.categories)
    ):
        reference = turn.resolve_to_hold(text)
        if reference.candidates and not reference.items and not holds:
            return wording.buy_which(item_lines(reference.candidates))
        wanted = [facts for facts in reference.items if facts["status"] not in ("held_by_you", "bought_by_you")]
    refusals, claimed = [], False
    for facts in wanted[: settings.MAX_HOLDS_PER_CUSTOMER]:
        result = turn.toolbox.hold_item(sku=facts["sku"])
        if isinstance(result, ClaimRecorded):
            claimed = True  # a piece of a live drop: answered when the drop item is settled
        elif not isinstance(result, Held):
            refusals.append(holding.hold_reply(turn, result, facts))
    if wanted:
        holds = turn.toolbox.holds()  # with what was just held
    if not holds:
        if refusals or claimed:
            return "\n\n".join(refusals)
        pending = [order for order in turn.toolbox.order_status().orders if order["status"] == "awaiting payment"]
        if pending:
            first = pending[0]
            return wording.order_waiting_for_payment(
                first["order_number"], money(first["total"]), first.get("payment_link", "")
            )
        return wording.nothing_to_buy()
    prefix = ("\n\n".join(refusals) + "\n\n") if refusals else ""
    match placed := turn.toolbox.place_order():
        case OrderPlaced():
            return prefix + order_placed_text(placed.order) + "\n" + settings.SHIPPING_INSTRUCTIONS
        case HoldLost():
            return prefix + wording.hold_ran_out(placed.sku)
        case NothingToOrder() | Refused():
            return prefix + wording.could_not_order(placed.message)


def order_placed_text(order: Facts) -> str:
    """The order a successful place_order made, and how to pay for it."""
    lines = "\n".join(f"{line['sku']} · {line['name']} · {money(line['price'])}" for line in order["items"])
    return wording.order_placed(order["order_number"], lines, money(order["total"]))


def order_status(turn: Turn) -> str:
    orders = turn.toolbox.order_status().orders[:3]
    if not orders:
        holds = turn.toolbox.holds()
        if holds:
            return wording.no_order_but_holds(item_lines(holds))
        return wording.NO_ORDERS
    text = "\n".join(
        wording.order_line(
            order["order_number"],
            len(order["items"]),
            money(order["total"]),
            order["status"],
            order.get("tracking_number", ""),
        )
        + ("\n" + ", ".join(item["name"] for item in order["items"]) if language.asks_order_contents(turn.text) else "")
        for order in orders
    )
    pending = [order for order in orders if order["status"] == "awaiting payment"]
    if pending and payment_provider().pays_by_link:
        text += "\n" + wording.payment_link_hint(pending[0].get("payment_link", ""))
    elif pending:
        text += "\n" + settings.PAYMENT_INSTRUCTIONS
    elif any(order["status"].startswith("paid") for order in orders):
        text += "\n" + settings.SHIPPING_INSTRUCTIONS
    return text


def payment_claimed(turn: Turn) -> str:
    """ "paid!": thanks, and what happens next. Only the owner (or Stripe) marks an order paid: the unpaid orders
    are flagged "customer says paid" and the owner is told. A hold asked for in the same message is made too."""
    text = _payment_noted(turn)
    # "did u get my payment for the dress? also hold the guess skirt": the hold too.
    holds_asked = [
        ask
        for ask in language.clauses(turn.text)
        if language.wants_hold(ask) and not language.says_paid(ask) and describes(turn.parse(ask))
    ]
    if holds_asked:
        text += "\n\n" + holding.hold_pieces(turn, turn.resolve_to_hold(" and ".join(holds_asked)))
    return text


def _payment_noted(turn: Turn) -> str:
    claim = turn.toolbox.claim_payment()
    pending = claim.orders if isinstance(claim, PaymentClaimNoted) else []
    orders = turn.toolbox.order_status().orders
    if pending:
        return wording.payment_will_be_confirmed(
            ", ".join(f"#{order['order_number']} ({money(order['total'])})" for order in pending)
        )
    if orders:
        return wording.THANK_YOU + order_status(turn)
    if turn.toolbox.holds():
        return wording.PAID_BUT_ONLY_HOLDS
    return wording.PAID_BUT_NOTHING


def placed_an_order(turn: Turn) -> bool:
    """Did the shop's last message place an order (so a bare "cancel" is about that order)?"""
    return wording.placed_an_order(turn.last_reply())


def cancel_order(turn: Turn) -> str:
    """ "cancel my order": the latest unpaid order is cancelled and its pieces go back on sale; a paid or shipped
    order is the owner's to refund, and the answer says so."""
    match result := turn.toolbox.cancel_order():
        case OrderCancelled():
            skus = ", ".join(line["sku"] for line in result.order["items"])
            return wording.order_cancelled(result.order["order_number"], skus)
        case NoUnpaidOrder():
            done = [order for order in result.orders if order["status"] != "cancelled"]
            if done:
                order = done[0]
                return wording.order_too_far_to_cancel(order["order_number"], order["status"])
            if turn.toolbox.holds():
                return wording.NO_ORDER_TO_CANCEL_BUT_HOLDS
            return wording.NO_ORDER_TO_CANCEL
        case Refused():
            return wording.could_not_cancel(result.message)


def payment_link(turn: Turn) -> str:
    """ "send me the link again", "link expired": the open Stripe link, or a fresh one for the same order from the
    payment-link worker. With manual payment there is no link: how to pay the unpaid order."""
    if not payment_provider().pays_by_link:
        pending = [order for order in turn.toolbox.order_status().orders if order["status"] == "awaiting payment"]
        if not pending:
            return wording.NO_ORDER_TO_PAY
        return wording.order_waiting_for_payment(pending[0]["order_number"], money(pending[0]["total"]))
    match result := turn.toolbox.payment_link():
        case PaymentLinkOpen():
            return wording.payment_link_again(result.order["order_number"], money(result.order["total"]), result.url)
        case PaymentLinkComing():
            return wording.fresh_payment_link_coming(result.order["order_number"], money(result.order["total"]))
        case NoUnpaidOrder():
            return wording.NO_ORDER_TO_PAY
        case Refused():
            return wording.could_not_send_link(result.message)
