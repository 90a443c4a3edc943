"""The hold's correctness rests on one statement order: lock the item row, then update it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.services import reserve_item
from philia.tests.factories import make_customer, make_item

pytestmark = pytest.mark.django_db


def first_index(queries: list[dict[str, str]], predicate) -> int:
    return next(index for index, query in enumerate(queries) if predicate(query["sql"]))


def test_reserve_locks_the_item_row_before_updating_it():
    customer = make_customer()
    make_item()

    with CaptureQueriesContext(connection) as captured:
        reserve_item(sku="VNT-TEST-001", customer=customer)

    queries = captured.captured_queries
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
