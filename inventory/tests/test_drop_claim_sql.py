"""A drop claim, the one write a drop makes hundreds of times a second, is two statements of our own SQL
(inventory/locks.py): the first-claim mark, then the shared lock with the claim's upsert. What they write and
read must be what the ORM would have."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conversations.models import Customer, Message
from inventory.models import Drop, DropClaim, DropItem, Item
from inventory.selectors import live_drop_items
from inventory.services import claim_drop_item, reserve_item
from inventory.tests.test_drops import dropped_item
from philia.tests.factories import make_customer, make_item

pytestmark = pytest.mark.django_db


def message_of(customer: Customer, tiktok_message_id: str | None) -> Message:
    return Message.objects.create(
        customer=customer,
        role=Message.Role.USER,
        direction=Message.Direction.INBOUND,
        text="mine!",
        tiktok_message_id=tiktok_message_id,
    )


def claim_by(item: Item, customer: Customer, *, written_ms: int, tiktok_message_id: str | None) -> DropClaim | None:
    message = message_of(customer, tiktok_message_id)
    return claim_drop_item(item=item, customer=customer, message=message, written_at_ms=written_ms)


def drop_ms(drop_item: DropItem) -> int:
    return int(drop_item.drop.drops_at.timestamp() * 1000)


def test_a_claim_after_the_first_sends_two_statements_and_marks_nothing(django_capture_on_commit_callbacks):
    item, drop_item = dropped_item()
    first, second = make_customer("first"), make_customer("second")
    first_at = timezone.now()
    with django_capture_on_commit_callbacks() as first_callbacks:
        claim_drop_item(
            item=item,
            customer=first,
            message=message_of(first, "msg-first"),
            written_at_ms=drop_ms(drop_item) + 10,
            now=first_at,
        )
    message = message_of(second, "msg-second")

    with django_capture_on_commit_callbacks() as second_callbacks, CaptureQueriesContext(connection) as captured:
        claim_drop_item(item=item, customer=second, message=message, written_at_ms=drop_ms(drop_item) + 20)

    queries = [query["sql"] for query in captured.captured_queries]
    assert [sql.split(" ")[0] for sql in queries] == ["SAVEPOINT", "UPDATE", "INSERT", "RELEASE"]
    assert queries[1].startswith('UPDATE "inventory_dropitem" SET "first_claim_at"')
    assert queries[2].startswith('INSERT INTO "inventory_dropclaim"')
    assert "FOR SHARE OF d ON CONFLICT" in queries[2]
    assert DropItem.objects.get().first_claim_at == first_at  # the UPDATE matched nothing
    assert (len(first_callbacks), len(second_callbacks)) == (1, 0)  # only the first schedules the settlement


def test_the_claim_is_the_row_as_the_orm_reads_it():
    item, drop_item = dropped_item()
    customer = make_customer("fan")

    recorded = claim_by(item, customer, written_ms=drop_ms(drop_item) + 5, tiktok_message_id="msg-fan")

    stored = DropClaim.objects.get()
    for field in DropClaim._meta.concrete_fields:
        assert getattr(recorded, field.attname) == getattr(stored, field.attname), field.name
    assert (stored.drop_item_id, stored.customer_id, stored.tiktok_message_id, stored.written_at_ms) == (
        drop_item.pk,
        "fan",
        "msg-fan",
        drop_ms(drop_item) + 5,
    )
    assert (stored.outcome, stored.received_at, stored.waitlist_place) == (DropClaim.Outcome.PENDING, None, None)
    assert timezone.now() - timedelta(seconds=5) < stored.created_at <= timezone.now()
    assert recorded._state.adding is False


def test_a_message_without_a_tiktok_id_is_recorded_by_its_own_id():
    item, drop_item = dropped_item()
    customer = make_customer("fan")

    recorded = claim_by(item, customer, written_ms=drop_ms(drop_item) + 5, tiktok_message_id=None)

    assert recorded.tiktok_message_id == f"message-{recorded.message_id}"


def test_a_claim_for_a_piece_the_owner_held_by_hand_records_nothing_and_marks_nothing():
    item, drop_item = dropped_item()
    reserve_item(sku=item.sku, customer=make_customer("friend"))

    recorded = claim_by(item, make_customer("fan"), written_ms=drop_ms(drop_item) + 5, tiktok_message_id="msg-fan")

    assert recorded is None
    assert DropClaim.objects.count() == 0
    assert DropItem.objects.get().first_claim_at is None


def test_a_claim_for_a_piece_sold_after_the_first_claim_records_nothing():
    item, drop_item = dropped_item()
    claim_by(item, make_customer("first"), written_ms=drop_ms(drop_item) + 5, tiktok_message_id="msg-first")
    Item.objects.filter(pk=item.pk).update(status=Item.Status.SOLD)

    recorded = claim_by(item, make_customer("late"), written_ms=drop_ms(drop_item) + 9, tiktok_message_id="msg-late")

    assert recorded is None
    assert list(DropClaim.objects.values_list("customer_id", flat=True)) == ["first"]


def test_a_customers_later_message_leaves_their_claim_as_it_is():
    item, drop_item = dropped_item()
    customer = make_customer("twice")
    first = claim_by(item, customer, written_ms=drop_ms(drop_item) + 10, tiktok_message_id="msg-a")

    again = claim_by(item, customer, written_ms=drop_ms(drop_item) + 50, tiktok_message_id="msg-b")

    assert DropClaim.objects.count() == 1
    assert (again.pk, again.message_id, again.written_at_ms, again.tiktok_message_id) == (
        first.pk,
        first.message_id,
        drop_ms(drop_item) + 10,
        "msg-a",
    )


def test_a_customers_message_at_the_same_time_counts_by_the_smaller_tiktok_id():
    item, drop_item = dropped_item()
    customer = make_customer("twice")
    same_ms = drop_ms(drop_item) + 10
    claim_by(item, customer, written_ms=same_ms, tiktok_message_id="msg-b")

    smaller = claim_by(item, customer, written_ms=same_ms, tiktok_message_id="msg-a")
    larger = claim_by(item, customer, written_ms=same_ms, tiktok_message_id="msg-c")

    assert (smaller.tiktok_message_id, larger.tiktok_message_id) == ("msg-a", "msg-a")
    assert list(DropClaim.objects.values_list("tiktok_message_id", "written_at_ms")) == [("msg-a", same_ms)]


def test_the_live_drops_pieces_are_the_ones_the_orm_query_finds(settings):
    settings.DROP_CLAIM_MINUTES = 10
    now = timezone.now()
    shopper = make_customer("shopper")
    pieces = {
        "VNT-LIVE-CLAIMED": dict(dropped_minutes_ago=30, claimed=True),
        "VNT-LIVE-RECENT": dict(dropped_minutes_ago=2),
        "VNT-LIVE-STALE": dict(dropped_minutes_ago=30),  # nobody claimed it within DROP_CLAIM_MINUTES
        "VNT-LIVE-SETTLED": dict(dropped_minutes_ago=1, settled=True),
        "VNT-LIVE-UPCOMING": dict(dropped_minutes_ago=-60),
        "VNT-LIVE-HELD": dict(dropped_minutes_ago=1, held_until=now + timedelta(hours=1)),
        "VNT-LIVE-HOLD-RAN-OUT": dict(dropped_minutes_ago=1, held_until=now - timedelta(minutes=1)),
    }
    for sku, piece in pieces.items():
        drops_at = now - timedelta(minutes=piece["dropped_minutes_ago"])
        held = "held_until" in piece
        item = make_item(sku, drops_at=drops_at, held_by=shopper if held else None, held_until=piece.get("held_until"))
        drop = Drop.objects.create(name=sku, drops_at=drops_at)
        DropItem.objects.create(
            drop=drop,
            item=item,
            first_claim_at=drops_at if piece.get("claimed") else None,
            settled_at=now if piece.get("settled") else None,
        )
    make_item("VNT-NOT-IN-A-DROP")

    found = live_drop_items(now=now)

    live = DropItem.objects.filter(settled_at__isnull=True, drop__drops_at__lte=now).filter(
        Q(first_claim_at__isnull=False) | Q(drop__drops_at__gte=now - timedelta(minutes=10))
    )
    expected = list(Item.objects.free(now=now).filter(pk__in=live.values("item_id")).order_by("drops_at", "sku"))
    assert [item.sku for item in found] == ["VNT-LIVE-CLAIMED", "VNT-LIVE-RECENT", "VNT-LIVE-HOLD-RAN-OUT"]
    assert [(item.pk, item.__dict__) for item in found] == [
        (item.pk, {**item.__dict__, "_state": found[index]._state}) for index, item in enumerate(expected)
    ]
    assert [item.sku for item in live_drop_items(now=now, limit=1)] == ["VNT-LIVE-CLAIMED"]
