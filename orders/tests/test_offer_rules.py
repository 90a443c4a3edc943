from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from conversations.models import Message
from inventory.exceptions import ItemNotDroppedYet, ItemUnavailable
from inventory.models import Item
from orders.models import Offer
from orders.offers import (
    NoCounterOffer,
    OfferNotPending,
    accept_counter,
    expire_offers,
    owner_accept_offer,
    owner_counter_offer,
    owner_reject_offer,
    record_offer,
    standing_offer_prices,
)
from orders.services import place_order
from philia.tests.factories import make_customer, make_item

pytestmark = pytest.mark.django_db


def test_default_floor_is_the_shop_percent_of_the_price(settings):
    settings.OFFER_FLOOR_PERCENT = 80
    assert make_item(price="45.00").floor_price == Decimal("36.00")
    assert make_item("OWN-FLOOR", price="45.00", offer_floor="40.00").floor_price == Decimal("40.00")


def test_an_offer_at_the_floor_is_accepted_and_held_at_that_price():
    customer = make_customer()
    make_item(price="45.00")

    offer = record_offer(customer=customer, sku="VNT-TEST-001", amount="36")

    item = Item.objects.get()
    assert (offer.status, offer.agreed_price, offer.hold_since) == (
        Offer.Status.ACCEPTED,
        Decimal("36.00"),
        item.held_since,
    )
    assert (item.status, item.held_by_id, item.price) == (Item.Status.RESERVED, customer.pk, Decimal("45.00"))


def test_the_order_placed_from_an_accepted_offer_uses_the_offered_price():
    customer = make_customer()
    make_item(price="45.00")
    make_item("OTHER-2", price="20.00", held_by=customer, held_until=timezone.now() + timedelta(hours=2))
    record_offer(customer=customer, sku="VNT-TEST-001", amount="40")

    order = place_order(customer=customer)

    assert order.total == Decimal("60.00")
    assert sorted(order.lines.values_list("item__sku", "price")) == [
        ("OTHER-2", Decimal("20.00")),
        ("VNT-TEST-001", Decimal("40.00")),
    ]


def test_a_later_hold_after_the_offer_hold_ran_out_pays_the_list_price():
    customer = make_customer()
    make_item(price="45.00")
    record_offer(customer=customer, sku="VNT-TEST-001", amount="40")
    later = timezone.now() + timedelta(hours=3)
    Item.objects.update(held_since=timezone.now() + timedelta(minutes=1), held_until=later)

    order = place_order(customer=customer)

    assert order.total == Decimal("45.00")


def test_a_lowball_gets_one_counter_at_the_floor_and_yes_holds_at_the_floor():
    customer = make_customer()
    make_item(price="45.00")

    offer = record_offer(customer=customer, sku="VNT-TEST-001", amount="20")
    assert (offer.status, offer.counter_amount) == (Offer.Status.COUNTERED, Decimal("36.00"))
    assert Item.objects.get().status == Item.Status.AVAILABLE

    accepted = accept_counter(customer=customer, sku="VNT-TEST-001")

    assert (accepted.pk, accepted.status, accepted.agreed_price) == (offer.pk, Offer.Status.ACCEPTED, Decimal("36.00"))
    assert place_order(customer=customer).total == Decimal("36.00")


def test_a_second_lowball_on_the_same_piece_is_declined():
    customer = make_customer()
    make_item(price="45.00")
    first = record_offer(customer=customer, sku="VNT-TEST-001", amount="20")

    second = record_offer(customer=customer, sku="VNT-TEST-001", amount="25")

    first.refresh_from_db()
    assert (first.status, second.status, second.counter_amount) == (Offer.Status.DECLINED, Offer.Status.DECLINED, None)
    with pytest.raises(NoCounterOffer):
        accept_counter(customer=customer, sku="VNT-TEST-001")


def test_floor_percent_100_means_no_haggling(settings):
    settings.OFFER_FLOOR_PERCENT = 100
    make_item(price="45.00")

    offer = record_offer(customer=make_customer(), sku="VNT-TEST-001", amount="44")

    assert (offer.status, offer.counter_amount) == (Offer.Status.DECLINED, None)


def test_a_counter_expires_after_offer_hours(settings):
    settings.OFFER_HOURS = 1.5
    customer = make_customer()
    make_item(price="45.00")
    offer = record_offer(customer=customer, sku="VNT-TEST-001", amount="20")
    assert offer.expires_at - offer.decided_at == timedelta(hours=1.5)

    with pytest.raises(NoCounterOffer):
        accept_counter(customer=customer, sku="VNT-TEST-001", now=timezone.now() + timedelta(hours=2))
    assert expire_offers(now=timezone.now() + timedelta(hours=2)) == 1
    offer.refresh_from_db()
    assert offer.status == Offer.Status.EXPIRED


def test_offers_on_held_sold_or_drop_scheduled_pieces_are_refused():
    customer = make_customer()
    other = make_customer("customer-2")
    make_item("HELD-1", held_by=other, held_until=timezone.now() + timedelta(hours=1))
    make_item("SOLD-2", status=Item.Status.SOLD)
    make_item("DROP-3", drops_at=timezone.now() + timedelta(hours=1))

    with pytest.raises(ItemUnavailable) as held:
        record_offer(customer=customer, sku="HELD-1", amount="40")
    with pytest.raises(ItemUnavailable) as sold:
        record_offer(customer=customer, sku="SOLD-2", amount="40")
    with pytest.raises(ItemNotDroppedYet):
        record_offer(customer=customer, sku="DROP-3", amount="40")

    assert (held.value.status, sold.value.status) == (Item.Status.RESERVED, Item.Status.SOLD)
    assert Offer.objects.count() == 0


def test_offer_prices_are_only_this_customers():
    customer = make_customer()
    other = make_customer("customer-2")
    make_item(price="45.00")
    make_item("LOW-2", price="50.00")
    record_offer(customer=customer, sku="VNT-TEST-001", amount="38")
    record_offer(customer=customer, sku="LOW-2", amount="10")

    assert standing_offer_prices(customer=customer) == {"VNT-TEST-001": {Decimal("38.00")}, "LOW-2": {Decimal("40.00")}}
    assert standing_offer_prices(customer=other) == {}


def _pending(customer, sku="VNT-TEST-001", amount="30"):
    item = Item.objects.get(sku=sku)
    return Offer.objects.create(
        customer=customer, item=item, amount=Decimal(amount), expires_at=timezone.now() + timedelta(hours=1)
    )


def test_owner_accepts_a_pending_offer_and_the_customer_is_told():
    customer = make_customer(conversation_id="conv-1", last_inbound_at=timezone.now())
    make_item(price="45.00")

    offer = owner_accept_offer(offer=_pending(customer))

    assert (offer.status, offer.agreed_price) == (Offer.Status.ACCEPTED, Decimal("30.00"))
    assert Item.objects.get().held_by_id == customer.pk
    assert "your offer on VNT-TEST-001 is accepted! It's held for you at $30.00" in _last_outbound(customer)
    assert place_order(customer=customer).total == Decimal("30.00")


def test_owner_rejects_or_counters_a_pending_offer_and_the_customer_is_told():
    customer = make_customer(conversation_id="conv-1", last_inbound_at=timezone.now())
    make_item(price="45.00")

    rejected = owner_reject_offer(offer=_pending(customer))
    assert rejected.status == Offer.Status.DECLINED
    assert "can't take $30.00 for VNT-TEST-001: the price stays $45.00" in _last_outbound(customer)

    countered = owner_counter_offer(offer=_pending(customer), amount="33")
    assert (countered.status, countered.counter_amount) == (Offer.Status.COUNTERED, Decimal("33.00"))
    assert "the owner can do $33.00" in _last_outbound(customer)
    assert accept_counter(customer=customer, sku="VNT-TEST-001").agreed_price == Decimal("33.00")

    with pytest.raises(OfferNotPending):
        owner_reject_offer(offer=countered)


def _last_outbound(customer) -> str:
    return Message.objects.filter(customer=customer, direction=Message.Direction.OUTBOUND).latest("pk").text


def test_the_offer_sweep_marks_run_out_offers_expired_and_leaves_the_rest():
    customer = make_customer()
    item = make_item(price="45.00")
    old = Offer.objects.create(
        customer=customer, item=item, amount=Decimal("30"), expires_at=timezone.now() - timedelta(minutes=1)
    )
    fresh = Offer.objects.create(
        customer=customer, item=item, amount=Decimal("31"), expires_at=timezone.now() + timedelta(hours=1)
    )
    from orders.tasks import sweep_offers

    sweep_offers.fn()

    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.status, fresh.status) == (Offer.Status.EXPIRED, Offer.Status.PENDING)


def test_another_customer_sees_only_the_listed_price_of_a_piece_held_at_an_offer():
    from assistant.tools import item_facts

    customer = make_customer()
    other = make_customer("customer-2")
    make_item(price="45.00")
    record_offer(customer=customer, sku="VNT-TEST-001", amount="40")

    facts = item_facts(Item.objects.get(), customer=other, now=timezone.now())

    assert (facts["price"], facts["status"]) == ("45.00", "held")
    # No fact carries the agreed price (a substring check would also match the hold's timestamp, e.g. 22:40).
    assert [value for value in map(str, facts.values()) if value in ("40", "40.00")] == []


def test_an_offer_floor_above_the_price_is_refused_by_the_item_form_check():
    from django.core.exceptions import ValidationError

    item = make_item(price="45.00", offer_floor="50.00")

    with pytest.raises(ValidationError) as error:
        item.clean()

    assert error.value.message_dict == {"offer_floor": ["The offer floor cannot be above the price."]}
