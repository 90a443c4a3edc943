import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from assistant.models import ToolCall
from conversations.models import Customer, Message
from inventory.models import Item
from inventory.seed_data import SEED_ITEMS
from orders.models import Offer, Order, StripeEvent
from orders.offers import record_offer
from orders.services import place_order
from philia.tests.factories import make_customer, make_item
from tiktok.models import TikTokCredential, WebhookEvent

pytestmark = pytest.mark.django_db


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed", *args, stdout=out)
    return out.getvalue()


def test_seed_puts_at_least_a_dozen_items_on_sale_across_brands():
    output = seed()

    assert Item.objects.filter(status=Item.Status.AVAILABLE).count() == len(SEED_ITEMS) >= 12
    brands = set(Item.objects.values_list("brand", flat=True))
    assert {"Nike", "Carhartt", "Levi's", "Adidas", "Patagonia"} <= brands
    assert f"Seeded {len(SEED_ITEMS)} new item(s); 0 already in stock" in output
    assert not Item.objects.filter(description="").exists()


def test_seed_includes_the_vintage_nike_windbreaker_exactly():
    seed()

    item = Item.objects.get(sku="VNT-NIKE-WB-001")
    assert (item.name, item.brand, item.size_label, item.price, item.status) == (
        "Vintage Nike Windbreaker",
        "Nike",
        "L",
        Decimal("45.00"),
        Item.Status.AVAILABLE,
    )
    assert item.measurements == {"pit_to_pit": 24.5, "length": 28, "sleeve": 25.5}
    assert item.measurements_text == "pit to pit 24.5 in · length 28 in · sleeve 25.5 in"


def test_second_seed_adds_and_changes_nothing_not_even_a_held_or_sold_item():
    seed()
    customer = make_customer()
    Item.objects.filter(sku="VNT-NIKE-WB-001").update(
        status=Item.Status.RESERVED, held_by=customer, held_until=timezone.now() + timedelta(hours=1)
    )
    Item.objects.filter(sku="VNT-CARH-DJ-002").update(status=Item.Status.SOLD)
    before = dict(Item.objects.values_list("sku", "updated_at"))

    output = seed()

    assert dict(Item.objects.values_list("sku", "updated_at")) == before
    assert Item.objects.get(sku="VNT-NIKE-WB-001").held_by_id == "customer-1"
    assert Item.objects.get(sku="VNT-CARH-DJ-002").status == Item.Status.SOLD
    assert f"Seeded 0 new item(s); {len(SEED_ITEMS)} already in stock, left as they are." in output


def test_clear_without_asking_deletes_shop_data_and_seeds_again():
    customer = make_customer()
    make_item("OWNER-ADDED-1", held_by=customer, held_until=timezone.now() + timedelta(hours=1))
    place_order(customer=customer)

    output = seed("--clear", "--no-input")

    assert (
        "Deleted 0 tool calls, 0 streams, 1 orders, 0 offers, 0 stripe events, 1 items, 0 messages, 1 customers, 0 webhook events."
        in output
    )
    assert (Order.objects.count(), Customer.objects.count(), Item.objects.count()) == (0, 0, len(SEED_ITEMS))
    assert not Item.objects.filter(sku="OWNER-ADDED-1").exists()


def test_clear_has_every_app_delete_its_own_rows_and_keeps_staff_and_credentials(django_user_model):
    customer = make_customer()
    inbound = Message.objects.create(
        customer=customer, role="user", direction="inbound", text="hi", tiktok_message_id="in-1"
    )
    ToolCall.objects.create(idempotency_key="key-1", message=inbound, customer=customer, tool="hold_item")
    make_item("OFFERED-1")
    record_offer(customer=customer, sku="OFFERED-1", amount="30")
    make_item("SOLD-2", held_by=customer, held_until=timezone.now() + timedelta(hours=1))
    place_order(customer=customer)
    WebhookEvent.objects.create(event="im_receive_msg", dedupe_key="message:in-1", raw_body="{}")
    TikTokCredential.objects.create(refresh_token="kept")
    django_user_model.objects.create_user("owner")

    output = seed("--clear", "--no-input")

    assert (
        "Deleted 1 tool calls, 0 streams, 1 orders, 1 offers, 0 stripe events, 2 items, 1 messages, 1 customers, 1 webhook events."
        in output
    )
    assert [model.objects.count() for model in (ToolCall, Order, Offer, Message, Customer, WebhookEvent)] == [0] * 6
    assert Item.objects.count() == len(SEED_ITEMS)
    assert TikTokCredential.objects.get().refresh_token == "kept"
    assert django_user_model.objects.filter(username="owner").exists()


def test_clear_asks_first_and_deletes_nothing_unless_told_yes(monkeypatch):
    make_item("OWNER-ADDED-1")
    monkeypatch.setattr("sys.stdin", io.StringIO("no\n"))

    with pytest.raises(CommandError, match=r"^Nothing deleted: --clear was not confirmed\.$"):
        seed("--clear")

    assert list(Item.objects.values_list("sku", flat=True)) == ["OWNER-ADDED-1"]


def test_clear_goes_ahead_when_told_yes(monkeypatch):
    make_item("OWNER-ADDED-1")
    monkeypatch.setattr("sys.stdin", io.StringIO("yes\n"))

    seed("--clear")

    assert not Item.objects.filter(sku="OWNER-ADDED-1").exists()
    assert Item.objects.count() == len(SEED_ITEMS)


def test_clear_deletes_orders_paid_through_stripe_with_their_stripe_events():
    customer = make_customer()
    make_item("PAID-1", held_by=customer, held_until=timezone.now() + timedelta(hours=1))
    order = place_order(customer=customer)
    StripeEvent.objects.create(
        event_id="evt_paid", event_type="checkout.session.completed", payload={}, order=order, status="done"
    )

    output = seed("--clear", "--no-input")

    assert (
        "Deleted 0 tool calls, 0 streams, 1 orders, 0 offers, 1 stripe events, 1 items, 0 messages, 1 customers"
        in output
    )
    assert (Order.objects.count(), StripeEvent.objects.count()) == (0, 0)
