"""Selling held items and putting sold ones back on sale: the two status changes orders ask inventory for."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory.exceptions import ItemNotFound, ItemUnavailable, NotHeldBy
from inventory.models import Item
from inventory.services import lock_item_open_to, put_back_on_sale, sell_items
from philia.tests.factories import make_customer, make_item

pytestmark = pytest.mark.django_db


def test_items_the_customer_holds_are_sold_and_returned_in_primary_key_order():
    customer = make_customer()
    now = timezone.now()
    second = make_item("JEANS-2", held_by=customer, held_until=now + timedelta(hours=1))
    first = make_item("JACKET-1", held_by=customer, held_until=now + timedelta(hours=2))

    sold = sell_items(item_ids=[first.pk, second.pk], customer=customer, now=now)

    assert [(item.sku, item.status, item.held_by, item.held_until) for item in sold] == [
        ("JEANS-2", "sold", None, None),
        ("JACKET-1", "sold", None, None),
    ]
    assert dict(Item.objects.values_list("sku", "status")) == {"JEANS-2": "sold", "JACKET-1": "sold"}
    assert set(Item.objects.values_list("held_by", "held_until")) == {(None, None)}


@pytest.mark.parametrize("case", ["someone_else", "run_out", "on_sale"])
def test_selling_an_item_the_customer_does_not_hold_now_sells_nothing(case):
    customer, other = make_customer("buyer"), make_customer("other")
    now = timezone.now()
    mine = make_item("MINE", held_by=customer, held_until=now + timedelta(hours=1))
    holds = {
        "someone_else": {"held_by": other, "held_until": now + timedelta(hours=1)},
        "run_out": {"held_by": customer, "held_until": now - timedelta(minutes=1)},
        "on_sale": {},
    }
    lost = make_item("LOST", **holds[case])

    with pytest.raises(NotHeldBy, match=r"^LOST is not held by you\.$"):
        sell_items(item_ids=[mine.pk, lost.pk], customer=customer, now=now)

    assert Item.objects.get(sku="MINE").status == "reserved"
    assert Item.objects.get(sku="LOST").status == ("available" if case == "on_sale" else "reserved")


def test_selling_locks_the_item_rows_in_primary_key_order_before_updating_them():
    customer = make_customer()
    later = timezone.now() + timedelta(hours=1)
    ids = [make_item(f"ITEM-{n}", held_by=customer, held_until=later).pk for n in range(3)]

    with CaptureQueriesContext(connection) as captured:
        sell_items(item_ids=reversed(ids), customer=customer)

    statements = [query["sql"] for query in captured.captured_queries]
    [lock] = [sql for sql in statements if "FOR NO KEY UPDATE" in sql]
    assert lock.startswith("SELECT") and 'FROM "inventory_item"' in lock
    assert lock.endswith('ORDER BY "inventory_item"."id" ASC FOR NO KEY UPDATE')
    update = next(index for index, sql in enumerate(statements) if sql.startswith('UPDATE "inventory_item"'))
    assert statements.index(lock) < update


def test_only_sold_items_go_back_on_sale():
    customer = make_customer()
    sold = make_item("SOLD-1", status=Item.Status.SOLD)
    held = make_item("HELD-2", held_by=customer, held_until=timezone.now() + timedelta(hours=1))
    hidden = make_item("HIDDEN-3", status=Item.Status.HIDDEN)

    returned = put_back_on_sale(item_ids=[sold.pk, held.pk, hidden.pk])

    assert returned == 1
    assert dict(Item.objects.values_list("sku", "status")) == {
        "SOLD-1": "available",
        "HELD-2": "reserved",
        "HIDDEN-3": "hidden",
    }


def test_item_open_to_the_customer_is_returned_locked():
    customer = make_customer()
    make_item("ON-SALE")
    make_item("MINE", held_by=customer, held_until=timezone.now() + timedelta(hours=1))
    make_item("RUN-OUT", held_by=make_customer("other"), held_until=timezone.now() - timedelta(minutes=1))

    with transaction.atomic():
        skus = [lock_item_open_to(sku=sku, customer=customer).sku for sku in ("on-sale", "MINE", "RUN-OUT")]

    assert skus == ["ON-SALE", "MINE", "RUN-OUT"]


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"status": Item.Status.SOLD}, r"^TAKEN is already sold\.$"),
        ({"status": Item.Status.HIDDEN}, r"^TAKEN is not for sale\.$"),
    ],
)
def test_sold_or_hidden_item_is_not_open_to_anyone(fields, reason):
    make_item("TAKEN", **fields)

    with transaction.atomic(), pytest.raises(ItemUnavailable, match=reason):
        lock_item_open_to(sku="TAKEN", customer=make_customer())


def test_item_held_by_someone_else_is_not_open_to_the_customer():
    make_item("TAKEN", held_by=make_customer("other"), held_until=timezone.now() + timedelta(hours=1))

    with transaction.atomic(), pytest.raises(ItemUnavailable, match=r"^TAKEN is held by another customer until "):
        lock_item_open_to(sku="TAKEN", customer=make_customer())


def test_unknown_sku_is_not_found():
    with transaction.atomic(), pytest.raises(ItemNotFound, match=r"^No item with SKU NOPE\.$"):
        lock_item_open_to(sku="NOPE", customer=make_customer())
