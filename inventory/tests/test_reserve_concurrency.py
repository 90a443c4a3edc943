"""Twenty buyers, one item: exactly one hold. Real threads on real PostgreSQL connections.

`django_db(transaction=True)`: each thread has its own connection and must see committed rows, and the
row lock only matters between separate transactions, so nothing may run inside one test transaction.
"""

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.models.signals import pre_save

from inventory.exceptions import ItemUnavailable
from inventory.models import Item
from inventory.services import reserve_item
from philia.tests.factories import make_customer, make_item

BUYERS = 20
SLOW_WRITE_SECONDS = 0.05


@pytest.fixture
def slow_item_writes() -> Iterator[None]:
    """Sleep between reading an item and writing it, so that without the row lock every buyer reads
    "available" before any of them writes: a missing lock then fails this test every run."""

    def sleep_before_write(sender: type[Item], **kwargs: Any) -> None:
        time.sleep(SLOW_WRITE_SECONDS)

    pre_save.connect(sleep_before_write, sender=Item, weak=False, dispatch_uid="slow_item_writes")
    yield
    pre_save.disconnect(sender=Item, dispatch_uid="slow_item_writes")


def run_at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run each call in its own thread, all released together; returns each result or raised exception."""
    barrier = threading.Barrier(len(calls), timeout=10)
    outcomes: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            connection.ensure_connection()  # connect first, so the race is about the item, not connecting
            barrier.wait()
            outcomes[index] = call()
        except Exception as exc:  # the outcome under test, compared by the caller
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a buyer is stuck"
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_twenty_buyers_at_once_exactly_one_holds_the_item(slow_item_writes):
    make_item("VNT-NIKE-WB-001")
    buyers = [make_customer(f"buyer-{number:02}") for number in range(BUYERS)]

    outcomes = run_at_once(
        [lambda buyer=buyer: reserve_item(sku="VNT-NIKE-WB-001", customer=buyer) for buyer in buyers]
    )

    winners = [outcome for outcome in outcomes if isinstance(outcome, Item)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, ItemUnavailable)]
    assert (len(winners), len(refused)) == (1, BUYERS - 1), outcomes
    item = Item.objects.get(sku="VNT-NIKE-WB-001")
    assert (item.status, item.held_by_id) == (Item.Status.RESERVED, winners[0].held_by_id)
