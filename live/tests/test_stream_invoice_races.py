"""Two invoice jobs of the same stream at once (a redelivered job, the sweep's beside the first): each winner still
gets one order and one message — the winner's row lock, then the invoice's, put the runs one after the other."""

import pytest

from conversations.models import Message
from live import invoices
from live.models import StreamInvoice
from live.tests.invoice_support import end_friday_live
from orders.models import Order
from philia.tests.concurrency import run_at_once

# transaction=True: the jobs run in real threads on their own connections, which only see committed rows.
pytestmark = pytest.mark.django_db(transaction=True)


def test_two_invoice_jobs_at_once_make_one_order_and_one_message_per_winner(settings, dramatiq_broker):
    settings.OPENAI_API_KEY = ""
    stream = end_friday_live()

    told = run_at_once([lambda: invoices.send_stream_invoices(stream_id=stream.pk)] * 2)

    assert sum(told) == 2  # between them, each winner told once
    assert sorted(Order.objects.values_list("customer_id", flat=True)) == ["anna-id", "ben-id"]
    assert StreamInvoice.objects.filter(stream=stream, told_at__isnull=False).count() == 2
    invoice_texts = Message.objects.filter(direction="outbound", text__startswith="Thanks for shopping the live")
    assert sorted(invoice_texts.values_list("customer_id", flat=True)) == ["anna-id", "ben-id"]
