"""The assistant tests' fixtures: the demo stock and two customers."""

from typing import Any

import pytest

from assistant.tests.assistant_support import make_customer
from conversations.models import Customer
from inventory.models import Item
from inventory.seed_data import SEED_ITEMS
from inventory.services import add_items


@pytest.fixture
def stock(db: Any) -> dict[str, Item]:
    items = add_items(items=SEED_ITEMS)
    return {item.sku: item for item in items}


@pytest.fixture
def anna(db: Any) -> Customer:
    return make_customer()


@pytest.fixture
def ben(db: Any) -> Customer:
    return make_customer("buyer-ben-id", "ben_buys_vintage")
