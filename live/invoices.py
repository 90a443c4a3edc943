"""A live stream's invoices: when it has ended, each winner gets one order with every piece they won in it (their
other holds stay holds), shipping charged once (SHIPPING_FEE), and one message with the order and how to pay — a
Stripe Checkout link, or the shop's instructions. Unpaid by the stream's end plus LIVE_PAY_HOURS, the order runs
out through the orders' own expiry (`orders.expiry.expire_order`): its customer is told once, and each piece goes
to the next in its line (`inventory.waitlists.pass_to_waitlist`), who is told.

Made by the `send_stream_invoices` worker after the stream ends (`live.services.end_stream`), never in the request:
the Stripe calls run outside any transaction. Idempotent: one `StreamInvoice` per stream and winner (a unique
constraint) made under the winner's row lock, and its message claimed under the invoice's row lock.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from conversations.models import Customer
from inventory.models import DropItem
from live.models import Stream, StreamInvoice
from orders import notices
from orders import services as orders_services
from orders.history import Told, record_event_in_status, tell
from orders.models import Order
from orders.payment_providers import payment_provider
from orders.stripe_payments import checkout_link
from philia.db import locking_transaction

logger = logging.getLogger(__name__)


def pay_by(*, stream: Stream) -> datetime:
    """The payment deadline of an ended stream's invoices: its end plus LIVE_PAY_HOURS, as its wins' holds."""
    if stream.ended_at is None:
        raise ValueError(f"stream {stream.pk} has not ended")
    return stream.ended_at + timedelta(hours=settings.LIVE_PAY_HOURS)


def send_stream_invoices(*, stream_id: int) -> int | None:
    """Invoice every winner of an ended stream, once; returns how many were told now. None (nothing done) while a
    claimed piece of the stream is still being settled: come back. A stream gone, not ended or invoiced already
    returns 0. A run cut short is finished by the next: each winner's order and message are made once."""
    stream = Stream.objects.filter(pk=stream_id).first()
    if stream is None or stream.status != Stream.Status.ENDED or stream.invoices_sent_at is not None:
        return 0
    drop_items = DropItem.objects.filter(screen_span__stream=stream)
    if drop_items.filter(settled_at__isnull=True, first_claim_at__isnull=False).exists():
        return None
    won: dict[str, set[int]] = {}
    for customer_id, item_id in drop_items.filter(winner__isnull=False).order_by("pk").values_list("winner", "item"):
        won.setdefault(customer_id, set()).add(item_id)
    told = 0
    for customer_id, item_ids in won.items():
        invoice = _make_invoice(stream=stream, customer_id=customer_id, item_ids=item_ids)
        if invoice.order_id is not None and invoice.told_at is None:
            told += tell_winner(invoice_id=invoice.pk)
    Stream.objects.filter(pk=stream.pk, invoices_sent_at__isnull=True).update(invoices_sent_at=timezone.now())
    logger.info("stream invoiced", extra={"stream": stream.pk, "winners": len(won), "told": told})
    return told


def _make_invoice(*, stream: Stream, customer_id: str, item_ids: set[int]) -> StreamInvoice:
    """The winner's invoice for the stream, with its order of the won pieces they still hold (none: no order);
    made once. Locks the customer row (the check and the insert run under it), then the pieces."""
    with locking_transaction():
        customer = Customer.objects.select_for_update(no_key=True).get(pk=customer_id)
        invoice = StreamInvoice.objects.filter(stream=stream, customer=customer).first()
        if invoice is not None:
            return invoice
        order = orders_services.place_invoice_order(
            customer=customer,
            item_ids=item_ids,
            shipping=settings.SHIPPING_FEE,
            expires_at=pay_by(stream=stream),
            note=f"live stream #{stream.pk} {stream.title}:",
        )
        return StreamInvoice.objects.create(stream=stream, customer=customer, order=order)


def tell_winner(*, invoice_id: int) -> bool:
    """Send the invoice's one message: the order's pieces, shipping, total and how to pay (a Checkout link made first,
    outside any transaction, when the shop takes payment by link; else, or when Stripe fails, the instructions).
    True if a message was queued. Locks the invoice row: a second run finds it told and sends nothing."""
    invoice = StreamInvoice.objects.select_related("order", "stream").filter(pk=invoice_id).first()
    if invoice is None or invoice.order is None or invoice.told_at is not None:
        return False
    link = checkout_link(order=invoice.order) if payment_provider().pays_by_link else None
    with transaction.atomic():
        if (
            StreamInvoice.objects.select_for_update(no_key=True).filter(pk=invoice.pk, told_at__isnull=True).first()
            is None
        ):
            return False
        order = Order.objects.select_related("customer").get(pk=invoice.order.pk)
        told: Told = {}
        if order.status == Order.Status.PENDING:
            told = tell(customer=order.customer, text=_invoice_text(order=order, stream=invoice.stream, link=link))
            record_event_in_status(order=order, kind="invoiced", note=f"live stream #{invoice.stream_id}", **told)
        StreamInvoice.objects.filter(pk=invoice.pk).update(told_at=timezone.now(), notice=told.get("notice"))
    return told.get("notice") is not None


def _invoice_text(*, order: Order, stream: Stream, link: str | None) -> str:
    lines = [f"{line.item.sku} · {line.item.name} · ${line.price}" for line in order.lines.select_related("item")]
    how_to_pay = f"Pay securely here: {link}" if link else notices.pay_manually(order.pk, settings.PAYMENT_INSTRUCTIONS)
    shipping = f"${order.shipping}" if order.shipping else "free"
    deadline = f"{timezone.localtime(order.expires_at or pay_by(stream=stream)):%a %b %d, %H:%M %Z}"
    return notices.live_invoice(
        stream.title, order.pk, lines, shipping, f"${order.total}", f"{how_to_pay}\n{notices.live_pay_by(deadline)}"
    )
