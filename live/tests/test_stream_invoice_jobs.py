"""The invoices through the real Redis worker: ending a stream sends the invoice job after commit, and an invoice
left unpaid runs out at its deadline (its own delayed job), its pieces going to the next in line, who is told.

`django_db(transaction=True)`: the jobs are sent after commit and run in the worker's own threads.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from conversations.models import Customer, Message
from inventory.models import Item
from live import services
from live.models import ScreenSpan, Stream, StreamInvoice
from live.tasks import sweep_stream_invoices
from live.tests.invoice_support import claim, settle, viewer
from orders.models import Order
from philia.tests.factories import make_item


def outbound(username: str) -> list[str]:
    messages = Message.objects.filter(customer__username=username, direction="outbound").order_by("pk")
    return list(messages.values_list("text", flat=True))


@pytest.mark.django_db(transaction=True)
def test_an_unpaid_invoice_runs_out_and_the_next_in_line_gets_the_piece_and_is_told(settings, deadline_worker):
    settings.OPENAI_API_KEY = ""
    settings.SHIPPING_FEE = Decimal("4.50")
    settings.LIVE_PAY_HOURS = 0.0005  # under two seconds
    make_item("VNT-LIVE-001", name="Red Varsity Jacket", price="120.00", size_label="L")
    make_item("VNT-LIVE-002", name="Black Bomber", price="90.00", size_label="M")
    stream = services.schedule_stream(title="Friday live", skus=["VNT-LIVE-001", "VNT-LIVE-002"])
    services.start_stream(stream_id=stream.pk)
    anna, cleo = viewer("anna"), viewer("cleo")
    start = timezone.now() - timedelta(minutes=1)
    for number, (sku, claimants) in enumerate([("VNT-LIVE-001", [anna, cleo]), ("VNT-LIVE-002", [anna])]):
        shown = services.next_piece(stream_id=stream.pk, now=start + timedelta(seconds=10 * number))
        for place, customer in enumerate(claimants, 1):
            claim(customer, at=shown.span.shown_from + timedelta(seconds=place))
        settle(sku)

    services.end_stream(stream_id=stream.pk)
    deadline_worker.drain()

    invoice = StreamInvoice.objects.get(stream=stream)
    order = Order.objects.get(pk=invoice.order_id)
    assert (invoice.customer_id, order.total, order.status) == ("anna-id", Decimal("214.50"), "cancelled")
    assert Stream.objects.get(pk=stream.pk).invoices_sent_at is not None
    told_anna = [text for text in outbound("anna") if f"#{order.pk}" in text]
    assert [text.split("\n")[0] for text in told_anna] == [
        f'Thanks for shopping the live "Friday live"! Your invoice is order #{order.pk}:',
        f"Order #{order.pk} was not paid in time, so it is cancelled and VNT-LIVE-001, VNT-LIVE-002 are back on "
        "sale. Message me if you still want them!",
    ]
    jacket, bomber = Item.objects.get(sku="VNT-LIVE-001"), Item.objects.get(sku="VNT-LIVE-002")
    assert (jacket.status, jacket.held_by_id) == ("reserved", "cleo-id")
    assert (bomber.status, bomber.held_by_id) == ("available", None)
    assert outbound("cleo")[-1].startswith(
        "Good news: VNT-LIVE-001 · Red Varsity Jacket · L · $120 is free again, and it's on hold for you until"
    )
    assert Customer.objects.get(pk="cleo-id").orders.count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_sweep_sends_the_invoices_of_a_stream_whose_job_was_lost(settings, dramatiq_worker):
    settings.OPENAI_API_KEY = ""
    make_item("VNT-LIVE-001", name="Red Varsity Jacket", price="120.00", size_label="L")
    stream = services.schedule_stream(title="Friday live", skus=["VNT-LIVE-001"])
    services.start_stream(stream_id=stream.pk)
    shown = services.next_piece(stream_id=stream.pk)
    claim(viewer("anna"), at=shown.span.shown_from + timedelta(seconds=1))
    settle("VNT-LIVE-001")
    ended_at = timezone.now()  # ended, and its invoice job lost (the broker was down at the end)
    Stream.objects.filter(pk=stream.pk).update(status="ended", ended_at=ended_at)
    ScreenSpan.objects.filter(stream=stream).update(shown_until=ended_at)

    sweep_stream_invoices.send()
    dramatiq_worker.drain()

    assert StreamInvoice.objects.get(stream=stream).order.lines.get().item.sku == "VNT-LIVE-001"
    assert Stream.objects.get(pk=stream.pk).invoices_sent_at is not None
