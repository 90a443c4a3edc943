"""After a stream ends each winner gets one invoice: one order of every piece they won in it (not their other holds),
shipping charged once, and one message with how to pay (a Stripe link, or the shop's instructions). Made once
however often the job runs; unpaid by the deadline, the order runs out and the pieces go to the next in line."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from conversations.models import Customer, Message
from inventory import services as inventory_services
from inventory.models import DropItem, Item
from live import invoices, services
from live.models import Stream, StreamInvoice
from live.tests.invoice_support import end_friday_live
from orders.models import Order, OrderEvent
from orders.services import expire_unpaid_orders
from philia.tests.factories import make_item
from propositions.models import Interaction, InteractionKind

pytestmark = pytest.mark.django_db

INSTRUCTIONS = "Send the total by PayPal to pay@philia.example."


@pytest.fixture(autouse=True)
def shop(settings):
    settings.OPENAI_API_KEY = ""
    settings.SHIPPING_FEE = Decimal("5.00")
    settings.PAYMENT_INSTRUCTIONS = INSTRUCTIONS


@pytest.fixture
def ended() -> Stream:
    """Friday live, ended: anna won lots 1 and 3, ben lot 2; cleo claimed lot 1 after anna and is first in its line."""
    return end_friday_live()


def new_messages(customer: Customer, *, after: int) -> list[str]:
    outbound = Message.objects.filter(customer=customer, direction="outbound", pk__gt=after).order_by("pk")
    return list(outbound.values_list("text", flat=True))


def last_message_id() -> int:
    return Message.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def deadline_of(order: Order) -> str:
    return f"{timezone.localtime(order.expires_at):%a %b %d, %H:%M %Z}"


def test_each_winner_gets_one_order_of_every_piece_won_with_shipping_once(ended):
    invoices.send_stream_invoices(stream_id=ended.pk)

    anna = Order.objects.get(customer_id="anna-id")
    assert sorted(anna.lines.values_list("item__sku", "price")) == [
        ("VNT-LIVE-001", Decimal("120.00")),
        ("VNT-LIVE-003", Decimal("90.00")),
    ]
    assert (anna.status, anna.shipping, anna.total) == ("pending", Decimal("5.00"), Decimal("215.00"))
    assert anna.expires_at == ended.ended_at + timedelta(hours=24)
    assert Item.objects.get(sku="VNT-LIVE-003").status == "sold"
    ben = Order.objects.get(customer_id="ben-id")
    assert (list(ben.lines.values_list("item__sku", flat=True)), ben.total) == (["VNT-LIVE-002"], Decimal("65.00"))
    assert Order.objects.count() == 2


def test_what_each_winner_bought_is_recorded_for_the_propositions(ended):
    invoices.send_stream_invoices(stream_id=ended.pk)

    bought = Interaction.objects.filter(kind=InteractionKind.BOUGHT).values_list("customer_id", "item__sku")
    assert sorted(bought) == [("anna-id", "VNT-LIVE-001"), ("anna-id", "VNT-LIVE-003"), ("ben-id", "VNT-LIVE-002")]


def test_two_winners_get_one_message_each_with_the_manual_instructions(ended):
    before = last_message_id()

    told = invoices.send_stream_invoices(stream_id=ended.pk)

    anna, ben = Order.objects.get(customer_id="anna-id"), Order.objects.get(customer_id="ben-id")
    assert told == 2
    assert new_messages(anna.customer, after=before) == [
        f'Thanks for shopping the live "Friday live"! Your invoice is order #{anna.pk}:\n'
        f"VNT-LIVE-001 · Red Varsity Jacket · $120.00\n"
        f"VNT-LIVE-003 · Black Bomber · $90.00\n"
        f"Shipping: $5.00\nTotal: $215.00\n"
        f"To pay for order #{anna.pk}: {INSTRUCTIONS} Please put #{anna.pk} in the note.\n"
        f"Pieces not paid for by {deadline_of(anna)} go to the next in line."
    ]
    assert new_messages(ben.customer, after=before) == [
        f'Thanks for shopping the live "Friday live"! Your invoice is order #{ben.pk}:\n'
        f"VNT-LIVE-002 · Levi's 550 Jeans · $60.00\n"
        f"Shipping: $5.00\nTotal: $65.00\n"
        f"To pay for order #{ben.pk}: {INSTRUCTIONS} Please put #{ben.pk} in the note.\n"
        f"Pieces not paid for by {deadline_of(ben)} go to the next in line."
    ]
    assert new_messages(Customer.objects.get(pk="cleo-id"), after=before) == []
    invoice = StreamInvoice.objects.get(stream=ended, customer_id="anna-id")
    assert (invoice.order_id, invoice.notice.text.startswith("Thanks")) == (anna.pk, True)
    assert [(event.kind, event.notice_id) for event in anna.events.all()] == [
        ("placed", None),
        ("invoiced", invoice.notice_id),
    ]


def test_no_shipping_fee_says_shipping_is_free(ended, settings):
    settings.SHIPPING_FEE = Decimal("0.00")
    before = last_message_id()

    invoices.send_stream_invoices(stream_id=ended.pk)

    ben = Order.objects.get(customer_id="ben-id")
    assert (ben.shipping, ben.total) == (Decimal("0.00"), Decimal("60.00"))
    assert "\nShipping: free\nTotal: $60.00\n" in new_messages(ben.customer, after=before)[0]


def test_running_the_job_twice_makes_nothing_more(ended):
    invoices.send_stream_invoices(stream_id=ended.pk)
    counts = (Order.objects.count(), Message.objects.count(), OrderEvent.objects.count(), StreamInvoice.objects.count())
    Stream.objects.filter(pk=ended.pk).update(invoices_sent_at=None)  # as if the first run died before its end

    again = invoices.send_stream_invoices(stream_id=ended.pk)
    once_more = invoices.send_stream_invoices(stream_id=ended.pk)

    assert (again, once_more) == (0, 0)
    assert counts == (2, Message.objects.count(), OrderEvent.objects.count(), 2)
    assert (Order.objects.count(), StreamInvoice.objects.count()) == (2, 2)


def test_an_invoice_made_but_not_told_is_told_by_the_next_run_once(ended):
    anna = Customer.objects.get(pk="anna-id")
    won = set(Item.objects.filter(held_by=anna).values_list("pk", flat=True))
    invoice = invoices._make_invoice(stream=ended, customer_id="anna-id", item_ids=won)  # the run died after it
    assert invoice.told_at is None
    before = last_message_id()

    invoices.send_stream_invoices(stream_id=ended.pk)
    invoices.tell_winner(invoice_id=invoice.pk)

    assert len(new_messages(anna, after=before)) == 1
    assert Order.objects.filter(customer=anna).count() == 1


def test_with_stripe_the_one_message_carries_the_checkout_link_for_the_whole_total(ended, stripe_settings, fake_stripe):
    before = last_message_id()

    invoices.send_stream_invoices(stream_id=ended.pk)

    anna = Order.objects.get(customer_id="anna-id")
    session = next(session for session in fake_stripe.sessions if session["client_reference_id"] == str(anna.pk))
    assert session["line_items_sent"] == [
        ("VNT-LIVE-001 · Red Varsity Jacket", 12000),
        ("VNT-LIVE-003 · Black Bomber", 9000),
        ("Shipping", 500),
    ]
    assert session["amount_total"] == 21500
    anna.refresh_from_db()
    [text] = new_messages(anna.customer, after=before)
    assert f"Total: $215.00\nPay securely here: {anna.stripe_session_url}\n" in text
    assert len(fake_stripe.sessions) == 2


def test_a_winners_ordinary_hold_stays_a_hold_out_of_the_live_order(ended):
    anna = Customer.objects.get(pk="anna-id")
    make_item("VNT-OTHER-001", name="Green Fleece", price="40.00")
    inventory_services.reserve_item(sku="VNT-OTHER-001", customer=anna)

    invoices.send_stream_invoices(stream_id=ended.pk)

    order = Order.objects.get(customer=anna)
    assert sorted(order.lines.values_list("item__sku", flat=True)) == ["VNT-LIVE-001", "VNT-LIVE-003"]
    other = Item.objects.get(sku="VNT-OTHER-001")
    assert (other.status, other.held_by_id) == ("reserved", "anna-id")


def test_unpaid_at_the_deadline_the_order_runs_out_and_its_first_buyer_is_told_once(ended):
    invoices.send_stream_invoices(stream_id=ended.pk)
    anna = Order.objects.get(customer_id="anna-id")
    before = last_message_id()

    expired = expire_unpaid_orders(now=anna.expires_at + timedelta(seconds=1))
    again = expire_unpaid_orders(now=anna.expires_at + timedelta(minutes=5))

    assert (expired, again) == (2, 0)
    anna.refresh_from_db()
    assert anna.status == "cancelled"
    assert new_messages(anna.customer, after=before) == [
        f"Order #{anna.pk} was not paid in time, so it is cancelled and VNT-LIVE-001, VNT-LIVE-003 are back on sale. "
        "Message me if you still want them!"
    ]


def test_no_invoice_while_a_claimed_piece_is_still_being_settled(ended):
    DropItem.objects.filter(item__sku="VNT-LIVE-002").update(settled_at=None, winner=None)

    assert invoices.send_stream_invoices(stream_id=ended.pk) is None
    assert (Order.objects.count(), StreamInvoice.objects.count()) == (0, 0)


def test_a_stream_unknown_or_not_ended_gets_no_invoices():
    make_item("VNT-LIVE-009")
    live = services.start_stream(stream_id=services.schedule_stream(title="Now", skus=["VNT-LIVE-009"]).pk)

    assert invoices.send_stream_invoices(stream_id=live.pk) == 0
    assert invoices.send_stream_invoices(stream_id=999_999) == 0
    assert (Order.objects.count(), StreamInvoice.objects.count()) == (0, 0)


def test_a_winner_who_holds_none_of_their_pieces_any_more_gets_no_order_and_no_message(ended):
    inventory_services.release_hold(sku="VNT-LIVE-002")  # the owner let ben's piece go
    before = last_message_id()

    told = invoices.send_stream_invoices(stream_id=ended.pk)

    ben = Customer.objects.get(pk="ben-id")
    assert (told, ben.orders.count(), new_messages(ben, after=before)) == (1, 0, [])
    invoice = StreamInvoice.objects.get(stream=ended, customer=ben)
    assert (invoice.order_id, invoice.told_at) == (None, None)
