"""Waitlists: one place per customer, the first reachable customer in line gets a freed piece."""

from datetime import timedelta

import pytest
from django.utils import timezone

from assistant import notices
from conversations.models import Message
from inventory.models import Item, WaitlistEntry
from inventory.selectors import waitlist_places
from inventory.services import join_waitlist, leave_waitlist, release_hold, reserve_item
from orders.services import cancel_order, place_order
from philia.tests.factories import make_customer, make_item


def told(customer_id: str) -> list[str]:
    return list(
        Message.objects.filter(customer_id=customer_id, role=Message.Role.ASSISTANT).values_list("text", flat=True)
    )


def waiting(sku: str = "VNT-TEST-001") -> list[str]:
    return list(
        WaitlistEntry.objects.filter(item__sku=sku).order_by("queued_at", "id").values_list("customer_id", flat=True)
    )


def reachable(name: str, **fields):
    return make_customer(name, last_inbound_at=timezone.now(), **fields)


@pytest.mark.django_db
def test_asking_twice_keeps_one_place_and_places_count_from_one():
    make_item(held_by=make_customer("holder"), held_until=timezone.now() + timedelta(hours=1))
    first, second = reachable("first"), reachable("second")

    _, created_first = join_waitlist(sku="VNT-TEST-001", customer=first)
    _, created_second = join_waitlist(sku="vnt-test-001", customer=second)
    _, created_again = join_waitlist(sku="VNT-TEST-001", customer=first)

    assert (created_first, created_second, created_again) == (True, True, False)
    assert waiting() == ["first", "second"]
    assert [(item.sku, place) for item, place in waitlist_places(customer=second)] == [("VNT-TEST-001", 2)]


@pytest.mark.django_db
def test_leaving_the_list_moves_everyone_behind_up():
    make_item(held_by=make_customer("holder"), held_until=timezone.now() + timedelta(hours=1))
    first, second = reachable("first"), reachable("second")
    join_waitlist(sku="VNT-TEST-001", customer=first)
    join_waitlist(sku="VNT-TEST-001", customer=second)

    assert leave_waitlist(customer=first) == ["VNT-TEST-001"]

    assert waiting() == ["second"]
    assert [place for _, place in waitlist_places(customer=second)] == [1]
    assert leave_waitlist(customer=first) == []


@pytest.mark.django_db
def test_a_released_piece_is_held_for_the_first_in_line_who_is_told_until_when(settings):
    settings.WAITLIST_AUTO_HOLD = True
    holder = make_customer("holder")
    make_item(held_by=holder, held_until=timezone.now() + timedelta(hours=1))
    first, second = reachable("first"), reachable("second")
    join_waitlist(sku="VNT-TEST-001", customer=first)
    join_waitlist(sku="VNT-TEST-001", customer=second)
    release_hold(sku="VNT-TEST-001", by=holder)

    assert notices.offer_to_waitlist(item_id=Item.objects.get().pk) is True
    assert notices.offer_to_waitlist(item_id=Item.objects.get().pk) is False  # a retried turn does nothing

    item = Item.objects.get()
    assert (item.status, item.held_by_id) == (Item.Status.RESERVED, "first")
    assert waiting() == ["second"]
    [text] = told("first")
    assert text.startswith("Good news: VNT-TEST-001 · Test Jacket · $45 is free again, and it's on hold for you until ")
    assert told("second") == []


@pytest.mark.django_db
def test_customers_whose_window_closed_or_who_sent_stop_are_skipped_but_keep_their_place():
    make_item()
    closed = make_customer("closed", last_inbound_at=timezone.now() - timedelta(hours=49))
    stopped = reachable("stopped", opted_out_at=timezone.now())
    paused = reachable("paused", bot_paused_until=timezone.now() + timedelta(hours=1))
    open_window = reachable("open")
    for customer in (closed, stopped, paused, open_window):
        join_waitlist(sku="VNT-TEST-001", customer=customer)

    assert notices.offer_to_waitlist(item_id=Item.objects.get().pk) is True

    assert Item.objects.get().held_by_id == "open"
    assert waiting() == ["closed", "stopped", "paused"]
    assert told("closed") == told("stopped") == told("paused") == []


@pytest.mark.django_db
def test_nobody_reachable_leaves_the_piece_on_sale():
    make_item()
    join_waitlist(sku="VNT-TEST-001", customer=make_customer("gone", last_inbound_at=None))

    assert notices.offer_to_waitlist(item_id=Item.objects.get().pk) is False

    assert Item.objects.get().status == Item.Status.AVAILABLE
    assert waiting() == ["gone"]


@pytest.mark.django_db
def test_the_hold_limit_still_applies_to_the_first_in_line(settings):
    settings.MAX_HOLDS_PER_CUSTOMER = 1
    full = reachable("full")
    make_item("OTHER-1", held_by=full, held_until=timezone.now() + timedelta(hours=1))
    make_item()
    join_waitlist(sku="VNT-TEST-001", customer=full)
    join_waitlist(sku="VNT-TEST-001", customer=reachable("next"))

    notices.offer_to_waitlist(item_id=Item.objects.get(sku="VNT-TEST-001").pk)

    assert Item.objects.get(sku="VNT-TEST-001").held_by_id == "next"
    assert waiting() == ["full"]


@pytest.mark.django_db
def test_without_auto_hold_the_first_in_line_is_told_once_and_the_piece_stays_on_sale(settings):
    settings.WAITLIST_AUTO_HOLD = False
    make_item()
    join_waitlist(sku="VNT-TEST-001", customer=reachable("first"))
    join_waitlist(sku="VNT-TEST-001", customer=reachable("second"))

    assert notices.offer_to_waitlist(item_id=Item.objects.get().pk) is True
    assert notices.offer_to_waitlist(item_id=Item.objects.get().pk) is False

    assert Item.objects.get().status == Item.Status.AVAILABLE
    assert told("first") == [
        "Good news: VNT-TEST-001 · Test Jacket · $45 you were waiting for is free again! "
        "Say \"I'll take it\" and I'll hold it for you."
    ]
    assert told("second") == []
    assert waiting() == ["first", "second"]


@pytest.mark.django_db
def test_holding_the_piece_yourself_takes_you_out_of_its_line():
    make_item()
    customer = reachable("first")
    join_waitlist(sku="VNT-TEST-001", customer=customer)

    reserve_item(sku="VNT-TEST-001", customer=customer)

    assert waiting() == []


# transaction=True: the waitlist's turn is sent on commit of the release / expiry / cancellation and run by
# a real worker on Redis.
@pytest.mark.django_db(transaction=True)
def test_a_cancelled_order_gives_the_piece_to_the_first_in_line_within_seconds(dramatiq_worker):
    buyer = reachable("buyer")
    make_item()
    reserve_item(sku="VNT-TEST-001", customer=buyer)
    order = place_order(customer=buyer)
    join_waitlist(sku="VNT-TEST-001", customer=reachable("waiting"))

    cancel_order(order=order, reason="changed their mind")
    dramatiq_worker.drain()

    assert Item.objects.get().held_by_id == "waiting"
    assert len(told("waiting")) == 1


@pytest.mark.django_db(transaction=True)
def test_an_expired_hold_goes_to_the_first_in_line_by_its_own_job(dramatiq_worker, settings):
    settings.HOLD_HOURS = 0.0005  # 1.8 seconds
    settings.HOLD_REMINDER_HOURS = 0
    make_item()
    reserve_item(sku="VNT-TEST-001", customer=reachable("holder"))
    join_waitlist(sku="VNT-TEST-001", customer=reachable("waiting"))

    deadline = timezone.now() + timedelta(seconds=15)
    while timezone.now() < deadline and Item.objects.get().held_by_id != "waiting":
        dramatiq_worker.drain()

    assert Item.objects.get().held_by_id == "waiting"
    assert waiting() == []
