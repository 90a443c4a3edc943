"""Many buyers at once: exactly one holds an item, and one customer never races past the hold limit. Real
threads on real PostgreSQL connections.

`django_db(transaction=True)`: each thread has its own connection and must see committed rows, and the
row lock only matters between separate transactions, so nothing may run inside one test transaction.
"""

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from inventory.exceptions import HoldLimitReached, ItemUnavailable
from inventory.models import Item
from inventory.services import reserve_item
from philia.tests.concurrency import run_at_once
from philia.tests.factories import make_customer, make_item

BUYERS = 20
SLOW_WRITE_SECONDS = 0.05


def sleep_before_item_updates(execute: Callable, sql: str, params: Any, many: bool, context: dict) -> Any:
    if sql.startswith('UPDATE "inventory_item"'):
        time.sleep(SLOW_WRITE_SECONDS)
    return execute(sql, params, many, context)


def with_slow_item_writes(call: Callable[[], Any]) -> Callable[[], Any]:
    """`call` with a sleep between reading an item and writing it (on the thread's own connection), so that
    without the row locks every buyer reads before any of them writes: a missing lock then fails every run."""

    def slowly() -> Any:
        with connection.execute_wrapper(sleep_before_item_updates):
            return call()

    return slowly


@pytest.mark.django_db(transaction=True)
def test_twenty_buyers_at_once_exactly_one_holds_the_item():
    make_item("VNT-NIKE-WB-001")
    buyers = [make_customer(f"buyer-{number:02}") for number in range(BUYERS)]

    outcomes = run_at_once(
        [
            with_slow_item_writes(lambda buyer=buyer: reserve_item(sku="VNT-NIKE-WB-001", customer=buyer))
            for buyer in buyers
        ]
    )

    winners = [outcome for outcome in outcomes if isinstance(outcome, Item)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, ItemUnavailable)]
    assert (len(winners), len(refused)) == (1, BUYERS - 1), outcomes
    item = Item.objects.get(sku="VNT-NIKE-WB-001")
    assert (item.status, item.held_by_id) == (Item.Status.RESERVED, winners[0].held_by_id)


@pytest.mark.django_db(transaction=True)
def test_one_customer_holding_six_items_at_once_gets_only_the_hold_limit(settings):
    settings.MAX_HOLDS_PER_CUSTOMER = 2
    customer = make_customer()
    skus = [make_item(f"VNT-PIECE-{number}").sku for number in range(6)]

    outcomes = run_at_once(
        [with_slow_item_writes(lambda sku=sku: reserve_item(sku=sku, customer=customer)) for sku in skus]
    )

    held = [outcome for outcome in outcomes if isinstance(outcome, Item)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, HoldLimitReached)]
    assert (len(held), len(refused)) == (2, 4), outcomes
    assert Item.objects.filter(held_by=customer, status=Item.Status.RESERVED).count() == 2
