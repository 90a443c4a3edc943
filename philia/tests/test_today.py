"""Today, the admin's home: what needs the owner (most urgent first, each linking where it is handled), the figures
of the last 7 days and the 14-day chart, from known rows."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from assistant.models import ToolCall
from conversations.models import Message
from orders.models import Offer, Order, OrderItem, StripeEvent
from philia import today
from philia.tests.factories import make_customer, make_item
from tiktok.models import WebhookEvent

pytestmark = pytest.mark.django_db


def _dm(customer, *, at, role="user", direction="inbound", **fields) -> Message:
    return Message.objects.create(customer=customer, role=role, direction=direction, created_at=at, text="hi", **fields)


def _order(customer, *, status="pending", total="45.00", **fields) -> Order:
    return Order.objects.create(customer=customer, status=status, total=Decimal(total), **fields)


def _hold_call(customer, sku: str, *, at) -> ToolCall:
    message = _dm(customer, at=at)
    call = ToolCall.objects.create(
        idempotency_key=f"{customer.pk}-{sku}", message=message, customer=customer, tool="hold_item",
        arguments={"sku": sku}, result={"ok": True},
    )  # fmt: skip
    ToolCall.objects.filter(pk=call.pk).update(created_at=at)
    return call


def test_each_section_lists_what_needs_the_owner_with_where_it_is_handled():
    now = timezone.now()
    waiting_long = make_customer("w1", username="waitinglong", handoff_requested_at=now - timedelta(hours=3))
    make_customer("w2", username="waitingshort", handoff_requested_at=now - timedelta(minutes=5))
    holder = make_customer("h1", username="holder", last_inbound_at=now - timedelta(hours=45), conversation_id="c")
    make_item("VNT-SOON-1", price="30.00", held_by=holder, held_until=now + timedelta(hours=2))
    make_item("VNT-LATER-2", held_by=holder, held_until=now + timedelta(hours=20))
    make_customer("quiet", last_inbound_at=now - timedelta(hours=45))  # window closing, but nothing open: not listed
    buyer = make_customer("b1", username="buyer")
    paid = _order(buyer, status="paid", paid_at=now - timedelta(days=1))
    unpaid = _order(buyer, total="20.00")
    _order(buyer, status="shipped", tracking_number="TRACK1")
    Offer.objects.create(customer=buyer, item=make_item("VNT-OFFER-3", price="50.00"), amount=Decimal("35.00"))
    _dm(buyer, at=now - timedelta(hours=1), role="staff", direction="outbound", state="failed", error="param error")
    _dm(buyer, at=now - timedelta(days=3), role="staff", direction="outbound", state="failed", error="old")

    sections = {section.key: section for section in today.needs_attention(now=now)}

    assert list(sections) == [
        "waiting", "windows", "holds", "drops", "sends", "deliveries", "to_ship", "flagged", "unpaid", "offers",
    ]  # fmt: skip
    assert [row.text for row in sections["waiting"].rows] == [
        "@waitinglong asked for a person",
        "@waitingshort asked for a person",
    ]
    assert sections["waiting"].rows[0].since == waiting_long.handoff_requested_at
    assert sections["waiting"].rows[0].url == reverse("admin:conversations_customer_change", args=["w1"])
    assert [(row.text, row.detail, row.url) for row in sections["windows"].rows] == [
        ("@holder's reply window closes", "holds items", reverse("admin:conversations_message_reply", args=["h1"]))
    ]
    assert sections["windows"].rows[0].until == holder.last_inbound_at + timedelta(hours=48)
    assert [(row.text, row.detail) for row in sections["holds"].rows] == [
        ("VNT-SOON-1 held by @holder", "Test Jacket · $30.00")
    ]
    assert [(row.text, row.detail) for row in sections["sends"].rows] == [("To @buyer: failed", "param error")]
    assert [(row.text, row.url) for row in sections["to_ship"].rows] == [
        (f"Order #{paid.pk} · @buyer · $45.00", reverse("admin:orders_order_change", args=[paid.pk]))
    ]
    assert [row.text for row in sections["unpaid"].rows] == [f"Order #{unpaid.pk} · @buyer · $20.00"]
    assert [(row.text, row.detail) for row in sections["offers"].rows] == [
        ("@buyer offers $35.00 for VNT-OFFER-3", "Test Jacket · listed at $50.00")
    ]
    assert sections["unpaid"].list_url == "/admin/orders/order/?status__exact=pending"
    assert [section.total for section in sections.values()] == [2, 1, 1, 0, 1, 0, 1, 0, 1, 1]


def test_failed_deliveries_of_every_inbox_are_listed_latest_first_retrying_or_given_up(settings):
    settings.TIME_ZONE = "UTC"
    now = timezone.now()
    stripe = StripeEvent.objects.create(
        event_id="evt_1", event_type="charge.refunded", payload={}, status="failed", attempts=5,
        last_error="KeyError: 'id'", received_at=now - timedelta(hours=2),
    )  # fmt: skip
    retrying = now.replace(hour=12, minute=5) + timedelta(days=1)
    tiktok = WebhookEvent.objects.create(
        event="im_receive_msg", tiktok_message_id="m-1", dedupe_key="message:m-1", raw_body="{}", status="failed",
        attempts=2, last_error="Busy: try again", next_attempt_at=retrying, received_at=now - timedelta(hours=1),
    )  # fmt: skip
    WebhookEvent.objects.create(event="im_receive_msg", tiktok_message_id="m-2", dedupe_key="message:m-2", raw_body="")

    section = {section.key: section for section in today.needs_attention(now=now)}["deliveries"]

    assert (section.title, section.total, section.list_url) == (
        "Deliveries not handled",
        2,
        "/admin/orders/stripeevent/?status__exact=failed",
    )
    assert [(row.text, row.detail, row.url, row.since) for row in section.rows] == [
        (
            "TikTok event im_receive_msg m-1",
            "Busy: try again · tries again at 12:05 (2 so far)",
            reverse("admin:tiktok_webhookevent_change", args=[tiktok.pk]),
            tiktok.received_at,
        ),
        (
            "Stripe event charge.refunded evt_1",
            "KeyError: 'id' · gave up after 5 tries",
            reverse("admin:orders_stripeevent_change", args=[stripe.pk]),
            stripe.received_at,
        ),
    ]


def test_figures_of_the_last_seven_days(settings):
    settings.AI_PRICE_PER_MILLION_TOKENS = {"gpt-4o-mini": "0.15/0.60"}
    now = timezone.now()
    anna, bob, cara = (make_customer(name, username=name) for name in ("anna", "bob", "cara"))
    for customer in (anna, bob, cara):
        _dm(customer, at=now)
    _dm(anna, at=now - timedelta(days=8))  # before the period
    _dm(cara, at=now - timedelta(hours=1), role="staff", direction="outbound", state="sent")  # cara needed the owner
    _dm(bob, at=now, role="assistant", direction="outbound", state="sent", ai_model="gpt-4o-mini",
        prompt_tokens=1_000_000, completion_tokens=500_000)  # fmt: skip
    _dm(bob, at=now, role="assistant", direction="outbound", state="sent", ai_model="mystery-model", prompt_tokens=10)
    held = [make_item(f"VNT-H-{number}") for number in range(4)]
    for number, item in enumerate(held):
        _hold_call(anna, item.sku, at=now - timedelta(days=1, minutes=number))
    order = _order(anna, status="paid", total="90.00", paid_at=now - timedelta(hours=2))
    for item in held[:2]:
        OrderItem.objects.create(order=order, item=item, price=Decimal("45.00"))
    _order(bob, status="pending", total="10.00")
    _order(bob, status="cancelled", total="15.00", paid_at=now - timedelta(hours=3))

    figures = today.figures(now=now)

    assert (figures.holds, figures.orders, figures.paid_revenue) == (4, 3, Decimal("90.00"))
    assert figures.hold_to_order == 0.5
    assert (figures.conversations, figures.handled_by_bot) == (3, 2 / 3)
    assert figures.ai_tokens == 1_500_010
    assert figures.ai_cost == Decimal("0.4500")  # 1M input at $0.15 + 0.5M output at $0.60
    assert figures.ai_cost_per_order == Decimal("0.1500")
    assert figures.unpriced_models == ["mystery-model"]


def test_dms_today_count_from_midnight_in_the_shops_time_zone(settings):
    settings.TIME_ZONE = "America/New_York"
    customer = make_customer("anna")
    now = timezone.make_aware(timezone.datetime(2025, 3, 7, 10, 0), timezone.get_current_timezone())
    _dm(customer, at=now - timedelta(hours=9))  # 01:00 New York, today
    _dm(customer, at=now - timedelta(hours=11))  # 23:00 New York, yesterday (but 04:00 UTC today)

    figures = today.figures(now=now)

    assert figures.dms_today == 1
    assert [(day.day.isoformat(), day.dms) for day in figures.days[-2:]] == [("2025-03-06", 1), ("2025-03-07", 1)]


def test_the_chart_has_fourteen_days_of_dms_and_paid_orders():
    now = timezone.now()
    customer = make_customer("anna")
    _dm(customer, at=now)
    _dm(customer, at=now)
    _dm(customer, at=now - timedelta(days=2))
    _dm(customer, at=now - timedelta(days=20))
    _order(customer, status="paid", paid_at=now)

    days = today.daily_counts(now=now)

    assert len(days) == 14 and days[-1].day == timezone.localdate(now)
    assert (days[-1].dms, days[-1].paid_orders, days[-3].dms, sum(day.dms for day in days)) == (2, 1, 1, 3)


def test_the_admin_home_is_today_also_at_its_own_address(admin_client):
    make_customer("w1", username="waiting", handoff_requested_at=timezone.now())

    home = admin_client.get("/admin/").content.decode()
    also = admin_client.get("/admin/today/")

    assert also.status_code == 200 and reverse("admin:today") == "/admin/today/"
    for page in (home, also.content.decode()):
        assert '<a href="/admin/conversations/customer/w1/change/">@waiting asked for a person</a>' in page
        assert '<svg class="today-chart"' in page and "<script" not in page.split('<div id="content-main"')[1]
        assert 'id="figure-dms-today">0<' in page


def test_the_shops_sections_come_before_the_technical_ones(admin_client):
    page = admin_client.get("/admin/").content.decode()

    shop, technical = page.index(">The shop</h2>"), page.index(">Technical</h2>")
    positions = [page.index(f">{name}</a>") for name in ("Orders", "Conversations", "Stock", "TikTok", "Assistant")]
    assert shop < positions[0] < positions[1] < positions[2] < technical < positions[3] < positions[4]
    assert page.index(">Authentication and Authorization</a>") > technical
    assert page.index(">Axes</a>") > technical


def test_view_site_leads_to_the_shops_public_front_page_by_default(admin_client):
    page = admin_client.get("/admin/").content.decode()

    assert '<a href="/">View site</a>' in page
    assert admin_client.get("/").status_code == 200


def test_view_site_leads_to_the_shop_when_it_is_set(settings, admin_client):
    settings.SHOP_URL = "https://www.tiktok.com/@philiathrifts"

    page = admin_client.get("/admin/").content.decode()

    assert '<a href="https://www.tiktok.com/@philiathrifts">View site</a>' in page


def test_drops_today_and_soon_are_listed_soonest_first_with_their_pieces(settings):
    from inventory.services import schedule_drop

    settings.TODAY_SOON_HOURS = 6
    now = timezone.now()
    for sku in ("VNT-DROP-B", "VNT-DROP-A", "VNT-DROP-C", "VNT-DROP-D"):
        make_item(sku)
    later = schedule_drop(drops_at=now + timedelta(hours=5), skus=["VNT-DROP-C"], name="Evening drop")
    soon = schedule_drop(drops_at=now + timedelta(minutes=30), skus=["VNT-DROP-B", "VNT-DROP-A"], name="Flash drop")
    schedule_drop(drops_at=now + timedelta(days=3), skus=["VNT-DROP-D"], name="Next week")  # not today, not soon

    section = {section.key: section for section in today.needs_attention(now=now)}["drops"]

    assert [(row.text, row.detail, row.url, row.until) for row in section.rows] == [
        ("Flash drop: 2 pieces", "VNT-DROP-A, VNT-DROP-B", reverse("admin:inventory_drop_change", args=[soon.pk]),
         soon.drops_at),
        ("Evening drop: 1 piece", "VNT-DROP-C", reverse("admin:inventory_drop_change", args=[later.pk]),
         later.drops_at),
    ]  # fmt: skip
    assert (section.title, section.total, section.list_url) == ("Drops today and soon", 2, "/admin/inventory/drop/")


def test_a_drop_that_has_happened_is_no_longer_listed():
    from inventory.models import Drop
    from inventory.services import schedule_drop

    now = timezone.now()
    make_item("VNT-DROP-E")
    drop = schedule_drop(drops_at=now + timedelta(minutes=10), skus=["VNT-DROP-E"], name="Done")
    Drop.objects.filter(pk=drop.pk).update(drops_at=now - timedelta(minutes=1))

    assert {section.key: section for section in today.needs_attention(now=now)}["drops"].rows == []


def test_orders_flagged_for_a_refund_or_customer_says_paid_link_to_the_order():
    now = timezone.now()
    buyer = make_customer("f1", username="flagbuyer")
    refund = _order(buyer, status="paid", total="60.00", needs_refund=True, paid_at=now - timedelta(hours=2))
    says_paid = _order(buyer, total="25.00", customer_says_paid_at=now - timedelta(minutes=20))
    _order(buyer, status="paid", total="30.00", customer_says_paid_at=now - timedelta(hours=1))  # paid: settled
    _order(buyer, total="10.00")  # nothing to sort out

    section = {section.key: section for section in today.needs_attention(now=now)}["flagged"]

    assert sorted((row.text, row.detail, row.url) for row in section.rows) == sorted([
        (f"Order #{refund.pk} · @flagbuyer · $60.00", "needs a refund",
         reverse("admin:orders_order_change", args=[refund.pk])),
        (f"Order #{says_paid.pk} · @flagbuyer · $25.00", "customer says paid",
         reverse("admin:orders_order_change", args=[says_paid.pk])),
    ])  # fmt: skip
    says_paid_row = next(row for row in section.rows if "$25.00" in row.text)
    assert says_paid_row.since == says_paid.customer_says_paid_at
    assert (section.title, section.total, section.list_url) == ("Orders flagged", 2, "/admin/orders/order/")


def test_the_today_page_shows_the_drop_and_flagged_rows(admin_client):
    from inventory.services import schedule_drop

    now = timezone.now()
    make_item("VNT-DROP-F")
    schedule_drop(drops_at=now + timedelta(hours=1), skus=["VNT-DROP-F"], name="Page drop")
    _order(make_customer("f2", username="paidclaim"), total="25.00", customer_says_paid_at=now)

    page = admin_client.get("/admin/").content.decode()

    assert 'id="today-drops"' in page and "Page drop: 1 piece" in page and "VNT-DROP-F" in page
    assert 'id="today-flagged"' in page and "customer says paid" in page


def test_the_today_page_shows_the_weeks_propositions_per_reason(admin_client):
    from propositions.models import Proposition

    customer, item = make_customer("p1"), make_item("VNT-PROPOSED-1")
    for outcome in ("shown", "held", "bought", "bought"):
        Proposition.objects.create(customer=customer, item=item, reason="sold", confidence=0.5, outcome=outcome)

    page = admin_client.get("/admin/").content.decode()

    assert 'id="today-propositions"' in page
    row = page.split('id="proposition-figures-sold"')[1].split("</tr>")[0]
    assert ["Sold", "4", "3", "3", "2", "50%"] == [cell.split(">")[-1] for cell in row.split("</t")[:-1]]
