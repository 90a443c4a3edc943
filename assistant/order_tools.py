"""The customer's orders as tools: status, placing one, "paid!", cancelling, the payment link again. Part of
`assistant.tools.Toolbox`; the actions run once per inbound message (`assistant.once`)."""

from assistant.facts import order_facts
from assistant.once import OncePerMessage
from assistant.results import (
    CancelOrderOutcome,
    ClaimPaymentOutcome,
    HoldLost,
    NothingToOrder,
    NoUnpaidOrder,
    OrderCancelled,
    OrderOutcome,
    OrderPlaced,
    Orders,
    PaymentClaimNoted,
    PaymentLinkComing,
    PaymentLinkOpen,
    PaymentLinkOutcome,
)
from inventory.vocabulary import BOTTOMS
from orders import exceptions as orders_exceptions
from orders import services as order_services
from orders.selectors import customer_orders
from propositions.models import InteractionKind
from propositions.scoring import letter_sizes, waist_of
from propositions.services import learn_sizes, record_interaction


class OrderTools(OncePerMessage):
    """The tools about the customer's orders."""

    def order_status(self) -> Orders:
        orders = list(customer_orders(customer=self.customer)[:5])
        return Orders(orders=[order_facts(order) for order in orders])

    def place_order(self) -> OrderOutcome:
        return self._once("place_order", {}, self._order)

    def claim_payment(self) -> ClaimPaymentOutcome:
        """ "paid!": flag the customer's unpaid orders for the owner to confirm (only the owner, or Stripe, marks
        an order paid) and tell the owner."""
        return self._once(
            "claim_payment",
            {},
            lambda: PaymentClaimNoted(
                orders=[order_facts(order) for order in order_services.note_customer_says_paid(customer=self.customer)]
            ),
        )

    def cancel_order(self) -> CancelOrderOutcome:
        """Cancel the customer's latest unpaid order: its pieces go back on sale. Paid or shipped orders are the
        owner's to cancel (the refusal carries them, so the answer can say why)."""
        return self._once("cancel_order", {}, self._cancel_order)

    def payment_link(self) -> PaymentLinkOutcome:
        """ "send me the link again", "link expired": the latest unpaid order's Stripe link while it is open,
        else a fresh one for the same order, created and DMed by the payment-link worker."""
        return self._once("payment_link", {}, self._payment_link)

    def _order(self) -> OrderOutcome:
        try:
            order = order_services.place_order(customer=self.customer)
        except orders_exceptions.NothingToOrder:
            return NothingToOrder()
        except orders_exceptions.HoldLost as error:
            return HoldLost(message=str(error), sku=error.sku)
        order = customer_orders(customer=self.customer).get(pk=order.pk)
        bought = [line.item for line in order.lines.all()]
        record_interaction(customer=self.customer, kind=InteractionKind.BOUGHT, items=bought, message=self.message)
        learn_sizes(
            customer=self.customer,
            labels=[size for item in bought for size in sorted(letter_sizes(item.size_label))],
            waist=next((waist_of(item.size_label) for item in bought if item.category in BOTTOMS), None),
        )
        return OrderPlaced(order=order_facts(order))

    def _cancel_order(self) -> CancelOrderOutcome:
        try:
            order = order_services.cancel_own_order(customer=self.customer)
        except orders_exceptions.NoUnpaidOrder as error:
            return NoUnpaidOrder(message=str(error), orders=self.order_status().orders[:3])
        order = customer_orders(customer=self.customer).get(pk=order.pk)
        return OrderCancelled(order=order_facts(order))

    def _payment_link(self) -> PaymentLinkOutcome:
        try:
            order, link = order_services.resend_payment_link(customer=self.customer)
        except orders_exceptions.NoUnpaidOrder as error:
            return NoUnpaidOrder(message=str(error), orders=self.order_status().orders[:3])
        facts = order_facts(customer_orders(customer=self.customer).get(pk=order.pk))
        return PaymentLinkOpen(order=facts, url=link) if link else PaymentLinkComing(order=facts)
