from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.exceptions import HoldLimitReached, InvalidHoldLength, ItemNotFound, ItemUnavailable
from inventory.models import Item
from inventory.services import reserve_item
from philia.tests.factories import make_customer, make_item

pytestmark = pytest.mark.django_db


def test_available_item_is_held_for_the_customer_for_the_default_hours(settings):
    settings.HOLD_HOURS = 24
    customer = make_customer()
    make_item("VNT-NIKE-WB-001")
    now = timezone.now()

    item = reserve_item(sku="VNT-NIKE-WB-001", customer=customer, now=now)

    item.refresh_from_db()
    assert (item.status, item.held_by_id, item.held_until) == (
        Item.Status.RESERVED,
        "customer-1",
        now + timedelta(hours=24),
    )


def test_sku_is_matched_case_insensitively_and_without_spaces():
    customer = make_customer()
    make_item("VNT-NIKE-WB-001")

    item = reserve_item(sku="  vnt-nike-wb-001 ", customer=customer)

    assert item.sku == "VNT-NIKE-WB-001"
    assert item.status == Item.Status.RESERVED


@pytest.mark.parametrize(
    ("hours_left", "hours_asked", "hours_held"),
    [(2, 24, 24), (48, 1, 48)],
    ids=["extends-the-hold", "never-shortens-a-longer-hold"],
)
def test_holding_an_item_one_already_holds_again(hours_left, hours_asked, hours_held):
    customer = make_customer()
    now = timezone.now()
    make_item(held_by=customer, held_until=now + timedelta(hours=hours_left))

    item = reserve_item(sku="VNT-TEST-001", customer=customer, hours=hours_asked, now=now)

    assert item.held_until == now + timedelta(hours=hours_held)
    assert Item.objects.get().held_until == now + timedelta(hours=hours_held)


def test_second_buyer_of_the_same_item_is_told_it_is_held_and_until_when():
    first, second = make_customer("first"), make_customer("second")
    until = timezone.now().replace(microsecond=0) + timedelta(hours=5)
    make_item(held_by=first, held_until=until)

    with pytest.raises(ItemUnavailable) as refused:
        reserve_item(sku="VNT-TEST-001", customer=second)

    assert str(refused.value) == f"VNT-TEST-001 is held by another customer until {until:%Y-%m-%d %H:%M} UTC."
    assert (refused.value.status, refused.value.held_until) == ("reserved", until)
    assert Item.objects.get().held_by_id == "first"


def test_sold_item_cannot_be_held():
    make_item(status=Item.Status.SOLD)

    with pytest.raises(ItemUnavailable, match=r"^VNT-TEST-001 is already sold\.$"):
        reserve_item(sku="VNT-TEST-001", customer=make_customer())

    assert Item.objects.get().status == Item.Status.SOLD


def test_hidden_item_cannot_be_held():
    make_item(status=Item.Status.HIDDEN)

    with pytest.raises(ItemUnavailable, match=r"^VNT-TEST-001 is not for sale\.$"):
        reserve_item(sku="VNT-TEST-001", customer=make_customer())


def test_item_whose_hold_ran_out_can_be_taken_by_someone_else():
    first, second = make_customer("first"), make_customer("second")
    now = timezone.now()
    make_item(held_by=first, held_until=now - timedelta(minutes=1))

    item = reserve_item(sku="VNT-TEST-001", customer=second, hours=3, now=now)

    assert (item.held_by_id, item.held_until) == ("second", now + timedelta(hours=3))


def test_customer_at_the_hold_limit_cannot_hold_another_item(settings):
    settings.MAX_HOLDS_PER_CUSTOMER = 2
    customer = make_customer()
    later = timezone.now() + timedelta(hours=5)
    make_item("HELD-1", held_by=customer, held_until=later)
    make_item("HELD-2", held_by=customer, held_until=later)
    make_item("WANTED-3")

    with pytest.raises(HoldLimitReached, match=r"^You can hold at most 2 items at a time"):
        reserve_item(sku="WANTED-3", customer=customer)

    assert Item.objects.get(sku="WANTED-3").status == Item.Status.AVAILABLE


def test_customer_at_the_hold_limit_may_still_extend_a_hold(settings):
    settings.MAX_HOLDS_PER_CUSTOMER = 1
    customer = make_customer()
    now = timezone.now()
    make_item(held_by=customer, held_until=now + timedelta(hours=1))

    item = reserve_item(sku="VNT-TEST-001", customer=customer, hours=10, now=now)

    assert item.held_until == now + timedelta(hours=10)


def test_retaking_ones_own_run_out_hold_counts_against_the_limit(settings):
    settings.MAX_HOLDS_PER_CUSTOMER = 1
    customer = make_customer()
    now = timezone.now()
    make_item("OTHER-1", held_by=customer, held_until=now + timedelta(hours=1))
    make_item("RUN-OUT-2", held_by=customer, held_until=now - timedelta(hours=1))

    with pytest.raises(HoldLimitReached):
        reserve_item(sku="RUN-OUT-2", customer=customer, now=now)


def test_run_out_holds_do_not_count_against_the_limit(settings):
    settings.MAX_HOLDS_PER_CUSTOMER = 1
    customer = make_customer()
    now = timezone.now()
    make_item("RUN-OUT-1", held_by=customer, held_until=now - timedelta(hours=1))
    make_item("WANTED-2")

    item = reserve_item(sku="WANTED-2", customer=customer, now=now)

    assert item.held_by_id == "customer-1"


def test_unknown_sku_is_reported():
    with pytest.raises(ItemNotFound, match=r"^No item with SKU NOPE-404\.$"):
        reserve_item(sku="NOPE-404", customer=make_customer())


@pytest.mark.parametrize("hours", [0, -3, -0.5, 24 * 14 + 1, 24 * 14 + 0.01, "2.5", True])
def test_hold_length_outside_zero_to_two_weeks_is_refused(hours):
    make_item()

    with pytest.raises(InvalidHoldLength, match=r"^A hold lasts more than 0 and at most 336 hours"):
        reserve_item(sku="VNT-TEST-001", customer=make_customer(), hours=hours)

    assert Item.objects.get().status == Item.Status.AVAILABLE


@pytest.mark.parametrize(("hours", "minutes"), [(0.5, 30), (Decimal("1.25"), 75), (2, 120)])
def test_hold_length_may_have_decimals(hours, minutes):
    make_item()
    now = timezone.now()

    item = reserve_item(sku="VNT-TEST-001", customer=make_customer(), hours=hours, now=now)

    assert item.held_until == now + timedelta(minutes=minutes)
