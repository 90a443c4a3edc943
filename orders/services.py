"""Writes to orders. Placing an order sells items; cancelling puts them back on sale."""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from conversations.models import Customer, Message
from inventory import services as inventory_services
from inventory.exceptions import ItemUnavailable, NotHeldBy
from inventory.selectors import current_holds
from notifications.services import notify_customer_says_paid, notify_order_placed
from orders import notices
from orders.exceptions import (
    HoldLost,
    InvalidOrderTransition,
    NothingToOrder,
    NoUnpaidOrder,
    OrderNotFound,
    PaymentAmountMismatch,
    TrackingNumberMissing,
    UnknownCarrier,
)
from orders.models import Carrier, Offer, Order, OrderEvent, OrderItem, Payment, StripeEvent
from orders.notices import tell_customer
from orders.offers import agreed_prices
from philia import jobs
from philia.db import locking_transaction

logger = logging.getLogger(__name__)

Actor = OrderEvent.Actor


def record_event(
    *,
    order: Order,
    kind: str,
    by: str = Actor.SYSTEM,
    staff_user: AbstractBaseUser | None = None,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    notice: Message | None = None,
    not_told_because: str = "",
) -> OrderEvent:
    """Append one line to the order's history (never changed afterwards), with the message that told the customer
    of it or why none was queued (`_tell`). Call inside the change's transaction."""
    return OrderEvent.objects.create(
        order=order,
        kind=kind,
        actor=by,
        staff_user=staff_user if by == Actor.OWNER else None,
        from_status=from_status,
        to_status=to_status,
        note=note.strip(),
        notice=notice,
        not_told_because=not_told_because,
    )


def _tell(*, customer: Customer, text: str, follow_up_allowed: bool = False) -> dict[str, Message | str | None]:
    """Tell the customer (`notices.tell_customer`: STOP and the reply window permitting) and return what the history
    line records of it, as `record_event`'s arguments: the message queued, or why none was."""
    reason = notices.why_not_told(customer=customer, follow_up_allowed=follow_up_allowed)
    if reason:
        return {"not_told_because": reason}
    return {"notice": tell_customer(customer=customer, text=text, follow_up_allowed=follow_up_allowed)}


def place_order(*, customer: Customer, now: datetime | None = None) -> Order:
    """Turn the customer's current holds into one pending order: all or nothing.

    Locks the customer row, then (`inventory.services.sell_items`) the held items in primary-key order,
    which checks each is still held by this customer and marks it sold; snapshots prices and totals.
    Raises `NothingToOrder` or `HoldLost` (and changes nothing).
    """
    with locking_transaction():
        Customer.objects.select_for_update(no_key=True).filter(pk=customer.pk).first()
        now = now or timezone.now()
        held = list(current_holds(customer=customer, now=now))
        if not held:
            raise NothingToOrder()
        # A price agreed by offer belongs to the hold it was agreed on (the customer row is locked: it stays).
        agreed = agreed_prices(customer=customer, items=held)
        try:
            items = inventory_services.sell_items(item_ids=[item.pk for item in held], customer=customer, now=now)
        except NotHeldBy as lost:
            raise HoldLost(lost.sku) from lost
        prices = {item.pk: agreed.get(item.pk, item.price) for item in items}
        order = Order.objects.create(
            customer=customer, total=sum(prices.values()), expires_at=payment_deadline(placed_at=now)
        )
        OrderItem.objects.bulk_create(OrderItem(order=order, item=item, price=prices[item.pk]) for item in items)
        record_event(
            order=order,
            kind="placed",
            by=Actor.CUSTOMER,
            to_status=order.status,
            note=", ".join(f"{item.sku} ${prices[item.pk]}" for item in items),
        )
        _schedule_expiry(order=order)
        if settings.PAYMENT_PROVIDER == "stripe":
            # Stripe is called by a worker after commit: never while this transaction holds its locks.
            _send_payment_link(order_id=order.pk)
        notify_order_placed(order_id=order.pk, customer_name=str(customer), total=order.total)
    logger.info("order placed", extra={"order": order.pk, "customer": customer.pk, "total": str(order.total)})
    return order


def _lock_order(order_id: int) -> Order:
    order = Order.objects.select_for_update(no_key=True).filter(pk=order_id).first()
    if order is None:
        raise OrderNotFound(order_id)
    return order


def mark_paid(
    *,
    order: Order,
    payment_reference: str = "",
    amount: Decimal | None = None,
    staff_user: AbstractBaseUser | None = None,
) -> Order:
    """The owner saw the money arrive: pending → paid, with a manual `Payment` of `amount` (default the total)
    and the reference (default the order number). Locks the order row.

    Raises `InvalidOrderTransition` unless the order is pending, `PaymentAmountMismatch` when `amount` is not
    the order's total (then nothing is recorded: the owner checks the amount again).
    """
    with locking_transaction():
        order = _lock_order(order.pk)
        if order.status != Order.Status.PENDING:
            raise InvalidOrderTransition(order.pk, order.get_status_display().lower(), "marked paid")
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


def _accept_payment_locked(
    *, order: Order, payment: Payment, by: str, staff_user: AbstractBaseUser | None = None
) -> None:
    """A locked pending order is paid by `payment`: the status, the history, and thanks to the customer."""
    from_status = order.status
    order.status = Order.Status.PAID
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
        **_tell(customer=order.customer, text=notices.thanks_for_paying(order.pk, f"${order.total}")),
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
        elif order.status == Order.Status.PENDING:
            _accept_payment_locked(order=order, payment=payment, by=Actor.SYSTEM)
        elif order.status == Order.Status.CANCELLED:
            _settle_late_payment_locked(order=order, payment=payment)
        else:
            _flag_locked(order=order, kind="needs_refund", note=f"paid again ({reference})", needs_refund=True)
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
            tell=notices.late_payment_will_be_refunded(order.pk),
        )
        return
    record_event(
        order=order,
        kind="reinstated",
        from_status=order.status,
        to_status=order.status,
        note=f"late payment {payment.reference}: every piece was still on sale",
    )
    order.cancelled_at = None
    order.save(update_fields=["cancelled_at", "updated_at"])
    _accept_payment_locked(order=order, payment=payment, by=Actor.SYSTEM)


def _flag_locked(
    *, order: Order, kind: str, note: str, needs_refund: bool = False, payment_problem: str = "", tell: str = ""
) -> None:
    """Flag a locked order for the owner, with a line in its history; `tell`, if given, is said to the customer."""
    fields = ["updated_at"]
    if needs_refund:
        order.needs_refund = True
        fields.append("needs_refund")
    if payment_problem:
        order.payment_problem = payment_problem[:300]
        fields.append("payment_problem")
    order.save(update_fields=fields)
    told = _tell(customer=order.customer, text=tell) if tell else {}
    record_event(order=order, kind=kind, from_status=order.status, to_status=order.status, note=note, **told)


def record_refund(*, order_id: int, provider: str, reference: str, amount: Decimal, currency: str) -> Payment | None:
    """Money went back to the customer (Stripe's charge.refunded): a refund row and a line in the history.
    Idempotent per provider and reference; the order's status is the owner's to change. Locks the order."""
    with locking_transaction():
        order = _lock_order(order_id)
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
        record_event(
            order=order,
            kind="refunded",
            from_status=order.status,
            to_status=order.status,
            note=f"{amount} {currency.upper()} · {reference}",
        )
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
                record_event(
                    order=order, kind="customer_says_paid", by=Actor.CUSTOMER, from_status=order.status,
                    to_status=order.status,
                )  # fmt: skip
                notify_customer_says_paid(order_id=order.pk, customer_name=str(customer))
            orders.append(order)
    return orders


def cancel_own_order(*, customer: Customer, order_id: int | None = None) -> Order:
    """The customer cancels their own unpaid order by DM (the latest one unless `order_id` is given): its
    pieces go back on sale and the history says the customer did it. Locks the order, then its items.

    Raises `NoUnpaidOrder` when they have none (a paid order is the owner's to cancel)."""
    orders = Order.objects.filter(customer=customer, status=Order.Status.PENDING)
    if order_id is not None:
        orders = orders.filter(pk=order_id)
    order = orders.order_by("-created_at", "-pk").first()
    if order is None:
        raise NoUnpaidOrder(order_id)
    with locking_transaction():
        order = _lock_order(order.pk)
        if order.status != Order.Status.PENDING:
            raise NoUnpaidOrder(order.pk)
        _cancel_locked(order=order, kind="cancelled", by=Actor.CUSTOMER, note="cancelled by the customer by DM")
    logger.info("order cancelled by its customer", extra={"order": order.pk})
    return order


def mark_shipped(
    *,
    order: Order,
    tracking_number: str,
    carrier: str = Carrier.OTHER,
    staff_user: AbstractBaseUser | None = None,
) -> Order:
    """Paid → shipped, with the parcel's carrier and tracking number; the customer is told (with a tracking
    link for a known carrier), also after their window as one of the follow-ups TikTok allows — the outbox
    decides. Locks the order row."""
    tracking_number = tracking_number.strip()
    if not tracking_number:
        raise TrackingNumberMissing(order.pk)
    if carrier not in Carrier.values:
        raise UnknownCarrier(carrier)
    with locking_transaction():
        order = _lock_order(order.pk)
        if order.status != Order.Status.PAID:
            raise InvalidOrderTransition(order.pk, order.get_status_display().lower(), "marked shipped")
        order.status = Order.Status.SHIPPED
        order.shipped_at = timezone.now()
        order.tracking_number = tracking_number
        order.carrier = carrier
        told = _tell(
            customer=Customer.objects.get(pk=order.customer_id),
            text=notices.shipped(order.pk, Carrier(carrier).label, tracking_number, order.tracking_url),
            follow_up_allowed=True,
        )
        record_event(
            order=order,
            kind="shipped",
            by=Actor.OWNER,
            staff_user=staff_user,
            from_status=Order.Status.PAID,
            to_status=order.status,
            note=f"{Carrier(carrier).label} {tracking_number}",
            **told,
        )
        order.shipping_notice = told.get("notice")
        order.save(
            update_fields=["status", "shipped_at", "tracking_number", "carrier", "shipping_notice", "updated_at"]
        )
    logger.info("order shipped", extra={"order": order.pk, "tracking_number": tracking_number})
    return order


def cancel_order(*, order: Order, reason: str = "", staff_user: AbstractBaseUser | None = None) -> Order:
    """Pending or paid → cancelled; its items go back on sale and the customer is told (the owner's news: also as
    one of the follow-ups TikTok allows after their window). Locks the order, then its items by pk."""
    with locking_transaction():
        order = _lock_order(order.pk)
        if order.status not in (Order.Status.PENDING, Order.Status.PAID):
            raise InvalidOrderTransition(order.pk, order.get_status_display().lower(), "cancelled")
        was_paid = order.status == Order.Status.PAID
        _cancel_locked(
            order=order,
            kind="cancelled",
            by=Actor.OWNER,
            staff_user=staff_user,
            note=reason,
            notice=lambda skus: notices.order_cancelled_by_the_shop(order.pk, skus, was_paid=was_paid),
            follow_up_allowed=True,
        )
    logger.info("order cancelled", extra={"order": order.pk})
    return order


def _cancel_locked(
    *,
    order: Order,
    kind: str,
    by: str,
    note: str,
    staff_user: AbstractBaseUser | None = None,
    notice: Callable[[list[str]], str] | None = None,
    follow_up_allowed: bool = False,
) -> list[str]:
    """Cancel a locked order: its pieces go back on sale (through inventory), its lines stop counting, and the
    customer is told `notice(skus)` when given. Returns the SKUs put back."""
    lines = list(order.lines.filter(is_active=True).select_related("item"))
    skus = [line.item.sku for line in lines]
    inventory_services.put_back_on_sale(item_ids=[line.item_id for line in lines])
    order.lines.update(is_active=False)
    from_status = order.status
    order.status = Order.Status.CANCELLED
    order.cancelled_at = timezone.now()
    order.save(update_fields=["status", "cancelled_at", "updated_at"])
    told = _tell(customer=order.customer, text=notice(skus), follow_up_allowed=follow_up_allowed) if notice else {}
    record_event(
        order=order,
        kind=kind,
        by=by,
        staff_user=staff_user,
        from_status=from_status,
        to_status=order.status,
        note=note,
        **told,
    )
    return skus


# --- Unpaid orders run out -------------------------------------------------------------------------


def payment_deadline(*, placed_at: datetime) -> datetime:
    return placed_at + timedelta(hours=float(settings.ORDER_PAYMENT_HOURS))


def expire_order(*, order_id: int, now: datetime | None = None) -> bool:
    """Cancel one unpaid order whose payment window has run out, put its pieces back on sale and tell the
    customer (window and STOP permitting). True if it expired it; False (nothing changed) when the order
    is gone, paid, cancelled or not due yet, so a repeated or early job is harmless. Locks the order, then
    its items in primary-key order."""
    now = now or timezone.now()
    with locking_transaction():
        order = Order.objects.select_for_update(no_key=True).select_related("customer").filter(pk=order_id).first()
        if order is None or order.status != Order.Status.PENDING or order.expires_at is None or order.expires_at > now:
            return False
        skus = _cancel_locked(
            order=order,
            kind="expired",
            by=Actor.SYSTEM,
            note="not paid in time",
            notice=lambda skus: notices.order_expired(order.pk, ", ".join(skus)),
        )
    logger.info("unpaid order expired", extra={"order": order.pk, "skus": skus})
    return True


def expire_unpaid_orders(*, now: datetime | None = None) -> int:
    """Expire every unpaid order past its deadline; returns how many. Idempotent: each order is decided in
    its own short transaction under its row lock, so the sweep and the delayed job never both expire one."""
    now = now or timezone.now()
    due = (
        Order.objects.filter(status=Order.Status.PENDING, expires_at__lte=now)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return sum(expire_order(order_id=order_id, now=now) for order_id in list(due))


def remind_unpaid_orders(*, now: datetime | None = None) -> int:
    """Remind, once, each customer whose unpaid order runs out within ORDER_REMINDER_HOURS (0 = never);
    returns how many were reminded. The reminder is claimed with a conditional UPDATE, so it is sent once
    however many sweeps run."""
    hours = float(settings.ORDER_REMINDER_HOURS)
    if hours <= 0:
        return 0
    now = now or timezone.now()
    due = Order.objects.filter(
        status=Order.Status.PENDING,
        reminded_at__isnull=True,
        expires_at__gt=now,
        expires_at__lte=now + timedelta(hours=hours),
    ).select_related("customer")
    reminded = 0
    for order in due:
        with transaction.atomic():
            claimed = Order.objects.filter(pk=order.pk, status=Order.Status.PENDING, reminded_at__isnull=True).update(
                reminded_at=now, updated_at=now
            )
            if not claimed:
                continue
            text = notices.payment_reminder(
                order.pk, f"${order.total}", _hours_text(order.expires_at - now), how_to_pay(order=order)
            )
            reminder = tell_customer(customer=order.customer, text=text)
            if reminder is not None:
                reminded += 1
                record_event(
                    order=order, kind="reminded", to_status=order.status, note="payment reminder sent", notice=reminder
                )
    return reminded


def _hours_text(left: timedelta) -> str:
    hours = left.total_seconds() / 3600
    if hours < 1:
        return f"{max(1, round(hours * 60))} minutes"
    return f"{round(hours)} hour{'s' if round(hours) != 1 else ''}"


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
        _send_payment_link(order_id=order.pk)
    return order, link


def how_to_pay(*, order: Order) -> str:
    """How to pay this order: its Stripe link while one is open, else the shop's instructions."""
    if open_payment_link(order=order):
        return f"Pay here: {order.stripe_session_url} (order #{order.pk})."
    return settings.PAYMENT_INSTRUCTIONS


def _send_payment_link(*, order_id: int) -> None:
    """Once the current transaction commits, a worker creates the order's Checkout Session and DMs its link."""
    jobs.enqueue_on_commit(
        "send_payment_link", order_id, unless_sent="no payment link until the customer asks for it again"
    )


def _schedule_expiry(*, order: Order) -> None:
    """Once the current transaction commits, a delayed job expires the order at its deadline (the sweep is the
    safety net for a lost one)."""
    delay_ms = max(0, int((order.expires_at - timezone.now()).total_seconds() * 1000))
    jobs.enqueue_on_commit("expire_order_job", order.pk, delay_ms=delay_ms, unless_sent="the sweep will expire it")


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
