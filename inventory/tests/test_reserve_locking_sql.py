"""The hold's correctness rests on one statement order: lock the customer row, then the item row, then update
it; its statements are SQL of our own (inventory/locks.py), so what they read must be what the ORM reads."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory.models import Item, WaitlistEntry
from inventory.services import reserve_item
from philia.tests.factories import make_customer, make_item

pytestmark = pytest.mark.django_db


def first_index(queries: list[dict[str, str]], predicate) -> int:
    return next(index for index, query in enumerate(queries) if predicate(query["sql"]))


def statements_of_a_hold() -> list[dict[str, str]]:
    """The statements one hold of a fresh item by a fresh customer sends."""
    customer = make_customer()
    make_item()
    with CaptureQueriesContext(connection) as captured:
        reserve_item(sku="VNT-TEST-001", customer=customer)
    return captured.captured_queries


def test_reserve_locks_the_item_row_before_updating_it():
    queries = statements_of_a_hold()
    lock = first_index(
        queries,
        lambda sql: (
            sql.startswith("SELECT")
            and 'FROM "inventory_item"' in sql
            and ("FOR NO KEY UPDATE" in sql or "FOR UPDATE" in sql)
        ),
    )
    update = first_index(queries, lambda sql: sql.startswith('UPDATE "inventory_item"'))
    assert lock < update


def test_the_held_item_is_the_row_as_the_orm_reads_it_with_the_hold_written():
    # The hold's statements are written out in SQL (inventory/locks.py); what it reads must convert like the ORM.
    customer = make_customer()
    make_item(measurements={"chest_cm": 56, "length_cm": 70.5}, price="45.50", description="Boxy fit")

    held = reserve_item(sku="vnt-test-001 ", customer=customer)

    stored = Item.objects.get(sku="VNT-TEST-001")
    for field in Item._meta.concrete_fields:
        assert getattr(held, field.attname) == getattr(stored, field.attname), field.name
    assert held.measurements == {"chest_cm": 56, "length_cm": 70.5}
    assert held.price == Decimal("45.50")
    assert (stored.status, stored.held_by_id, stored.held_since) == (Item.Status.RESERVED, customer.pk, held.held_since)
    assert held.held_by == customer


def test_the_customer_row_is_locked_before_the_item_row():
    # Every path that locks both (holds, drop settlement, orders) takes the customer first: no deadlock.
    queries = statements_of_a_hold()
    customer_lock = first_index(
        queries, lambda sql: 'FROM "conversations_customer"' in sql and "FOR NO KEY UPDATE" in sql
    )
    item_lock = first_index(queries, lambda sql: "FOR NO KEY UPDATE OF i" in sql)
    assert customer_lock < item_lock


def test_a_hold_deletes_a_waitlist_place_only_when_the_customer_has_one():
    customer, other = make_customer(), make_customer("customer-2")
    item = make_item()
    make_item("VNT-TEST-002")
    for place in (customer, other):
        WaitlistEntry.objects.create(item=item, customer=place, queued_at=timezone.now())

    with CaptureQueriesContext(connection) as waiting:
        reserve_item(sku="VNT-TEST-001", customer=customer)
    with CaptureQueriesContext(connection) as not_waiting:
        reserve_item(sku="VNT-TEST-002", customer=customer)

    def deletes(captured) -> int:
        return sum(query["sql"].startswith('DELETE FROM "inventory_waitlistentry"') for query in captured)

    assert deletes(waiting.captured_queries) == 1
    assert deletes(not_waiting.captured_queries) == 0
    assert list(WaitlistEntry.objects.values_list("customer_id", flat=True)) == [other.pk]
