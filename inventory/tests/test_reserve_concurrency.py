"""Twenty buyers, one item: exactly one hold. Real threads on real PostgreSQL connections.

`django_db(transaction=True)`: each thread has its own connection and must see committed rows, and the
row lock only matters between separate transactions, so nothing may run inside one test transaction.
"""

import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db.models.signals import pre_save

from inventory.exceptions import ItemUnavailable
from inventory.models import Item
from inventory.services import reserve_item
from philia.tests.concurrency import run_at_once
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
