"""Money for an order: the owner's Mark paid, a provider's payment (Stripe's webhook) — on time, late, of another
amount or twice —, a refund, and the customer's "paid!". Every payment or refund is a `Payment` row."""

import logging
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from conversations.models import Customer
from inventory import services as inventory_services
from inventory.exceptions import ItemUnavailable
from notifications.services import notify_customer_says_paid
from orders import notices
from orders.exceptions import OrderNotFound, PaymentAmountMismatch
from orders.history import Told, record_event, record_event_in_status, tell
from orders.locks import lock_order
from orders.models import Order, OrderEvent, Payment
from orders.transitions import ensure_may_move, may_move, move
from philia.db import locking_transaction

logger = logging.getLogger(__name__)

Actor = OrderEvent.Actor


def mark_paid(
    *,
    order: Order,
    payment_reference: str = "",
    amount: Decimal | None = None,
    staff_user: User | None = None,
) -> Order:
    """The owner saw the money arrive: pending → paid, with a manual `Payment` of `amount` (default the total)
    and the reference (default the order number). Locks the order row.

    Raises `InvalidOrderTransition` unless the order is pending, `PaymentAmountMismatch` when `amount` is not
    the order's total (then nothing is recorded: the owner checks the amount again).
    """
    with locking_transaction():
        order = lock_order(order_id=order.pk)
        ensure_may_move(order=order, to_status=Order.Status.PAID, by=Actor.OWNER)
        amount = order.total if amount is None else Decimal(amount)
        if amount != order.total:
            raise PaymentAmountMismatch(order.pk, order.total, amount)
        payment = Payment.objects.create(
            order=order,
            provider=Payment.Provider.MANUAL,
            reference=payment_reference.strip() or f"order #{order.pk}",
            amount=amount,
            currency=settings.SHOP_CURRENCY,
            recorded_by=staff_user,
        )
        _accept_payment_locked(order=order, payment=payment, by=Actor.OWNER, staff_user=staff_user)
    logger.info("order paid", extra={"order": order.pk})
    return order


def _accept_payment_locked(*, order: Order, payment: Payment, by: str, staff_user: User | None = None) -> None:
    """A locked order is paid by `payment`: the status, the history, and thanks to the customer."""
    from_status = move(order=order, to_status=Order.Status.PAID, by=by)
    order.paid_at = timezone.now()
    order.payment_reference = payment.reference
    order.customer_says_paid_at = None
    order.payment_problem = ""
    order.save(
        update_fields=[
            "status",
            "paid_at",
            "payment_reference",
            "customer_says_paid_at",
            "payment_problem",
            "updated_at",
        ]
    )
    record_event(
        order=order,
        kind="paid",
        by=by,
        staff_user=staff_user,
        from_status=from_status,
        to_status=order.status,
        note=f"{payment.get_provider_display()}: {payment.amount} {payment.currency.upper()} · {payment.reference}",
        **tell(customer=order.customer, text=notices.thanks_for_paying(order.pk, f"${order.total}")),
    )


def record_provider_payment(
    *, order_id: int, provider: str, reference: str, amount: Decimal, currency: str
) -> Payment | None:
    """Money for an order arrived through a provider (Stripe's webhook). Idempotent per provider and reference:
    a second report of the same money returns None and changes nothing. Locks the order, then its items.

    - pending, amount and currency the order's: paid, the customer thanked;
    - pending but another amount or currency: recorded as not accepted, the order flagged for the owner;
    - cancelled or expired (a late payment, never a second sale): reinstated (pieces sold again, paid) when
      every piece is still on sale, else flagged "needs refund" and the customer told the owner will refund;
    - already paid or shipped: recorded, flagged "needs refund" (paid twice).
    """
    currency = currency.lower()
    with locking_transaction():
        order = Order.objects.select_for_update(no_key=True).select_related("customer").filter(pk=order_id).first()
        if order is None:
            raise OrderNotFound(order_id)
        if Payment.objects.filter(provider=provider, kind=Payment.Kind.PAYMENT, reference=reference).exists():
            return None
        matches = amount == order.total and currency == settings.SHOP_CURRENCY
        payment = Payment.objects.create(
            order=order, provider=provider, reference=reference, amount=amount, currency=currency, accepted=matches
        )
        if not matches:
            problem = (
                f"{provider} payment {reference} was {amount} {currency.upper()}; the order is "
                f"{order.total} {settings.SHOP_CURRENCY.upper()}. Not accepted: check and refund or settle it."
            )
            _flag_locked(order=order, kind="payment_mismatch", note=problem, payment_problem=problem)
        elif not may_move(from_status=order.status, to_status=Order.Status.PAID, by=Actor.SYSTEM):
            _flag_locked(order=order, kind="needs_refund", note=f"paid again ({reference})", needs_refund=True)
        elif order.status == Order.Status.CANCELLED:
            _settle_late_payment_locked(order=order, payment=payment)
        else:
            _accept_payment_locked(order=order, payment=payment, by=Actor.SYSTEM)
    logger.info("payment recorded", extra={"order": order_id, "provider": provider, "accepted": matches})
    return payment


def _settle_late_payment_locked(*, order: Order, payment: Payment) -> None:
    lines = list(order.lines.select_related("item"))
    try:
        with transaction.atomic():
            inventory_services.sell_items_on_sale(item_ids=[line.item_id for line in lines])
            order.lines.update(is_active=True)
    except (ItemUnavailable, IntegrityError):
        _flag_locked(
            order=order,
            kind="needs_refund",
            note=f"late payment {payment.reference}: a piece was sold or held since",
            needs_refund=True,
            tell_customer=notices.late_payment_will_be_refunded(order.pk),
        )
        return
    record_event_in_status(
        order=order, kind="reinstated", note=f"late payment {payment.reference}: every piece was still on sale"
    )
    order.cancelled_at = None
    order.save(update_fields=["cancelled_at", "updated_at"])
    _accept_payment_locked(order=order, payment=payment, by=Actor.SYSTEM)


def _flag_locked(
    *,
    order: Order,
    kind: str,
    note: str,
    needs_refund: bool = False,
    payment_problem: str = "",
    tell_customer: str = "",
) -> None:
    """Flag a locked order for the owner, with a line in its history; `tell_customer`, if given, is said to the
    customer."""
    fields = ["updated_at"]
    if needs_refund:
        order.needs_refund = True
        fields.append("needs_refund")
    if payment_problem:
        order.payment_problem = payment_problem[:300]
        fields.append("payment_problem")
    order.save(update_fields=fields)
    told: Told = tell(customer=order.customer, text=tell_customer) if tell_customer else {}
    record_event_in_status(order=order, kind=kind, note=note, **told)


def record_refund(*, order_id: int, provider: str, reference: str, amount: Decimal, currency: str) -> Payment | None:
    """Money went back to the customer (Stripe's charge.refunded): a refund row and a line in the history.
    Idempotent per provider and reference; the order's status is the owner's to change. Locks the order."""
    with locking_transaction():
        order = lock_order(order_id=order_id)
        if Payment.objects.filter(provider=provider, kind=Payment.Kind.REFUND, reference=reference).exists():
            return None
        refund = Payment.objects.create(
            order=order,
            kind=Payment.Kind.REFUND,
            provider=provider,
            reference=reference,
            amount=amount,
            currency=currency.lower(),
        )
        if order.needs_refund:
            order.needs_refund = False
            order.save(update_fields=["needs_refund", "updated_at"])
        record_event_in_status(order=order, kind="refunded", note=f"{amount} {currency.upper()} · {reference}")
    logger.info("refund recorded", extra={"order": order_id, "provider": provider})
    return refund


def note_customer_says_paid(*, customer: Customer, now: datetime | None = None) -> list[Order]:
    """The customer wrote "paid!": flag their unpaid orders "customer says paid" for the owner to check (only
    the owner, or Stripe, marks an order paid) and tell the owner once per order. Returns those orders; idempotent
    (the first claim's time stays)."""
    now = now or timezone.now()
    orders = []
    with locking_transaction():
        pending = Order.objects.select_for_update(no_key=True).filter(customer=customer, status=Order.Status.PENDING)
        for order in pending.order_by("pk"):
            if order.customer_says_paid_at is None:
                order.customer_says_paid_at = now
                order.save(update_fields=["customer_says_paid_at", "updated_at"])
                record_event_in_status(order=order, kind="customer_says_paid", by=Actor.CUSTOMER)
                notify_customer_says_paid(order_id=order.pk, customer_name=str(customer))
            orders.append(order)
    return orders
