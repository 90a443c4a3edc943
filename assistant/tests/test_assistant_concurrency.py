"""The same inbound message answered by two workers at the same moment still acts once.

transaction=True: the two threads have their own connections and must see each other's commits.
"""

from functools import partial

import pytest

from assistant.models import ToolCall
from assistant.services import answer
from assistant.tests.assistant_support import inbound, make_customer
from conversations.models import Message
from inventory.models import Item
from inventory.seed_data import SEED_ITEMS
from inventory.services import add_items
from orders.models import Order
from philia.tests.concurrency import run_at_once

pytestmark = pytest.mark.django_db(transaction=True)


def answer_twice_at_once(message: Message) -> list[str]:
    outcomes = run_at_once([partial(answer, customer=message.customer, message=message)] * 2)
    assert [outcome for outcome in outcomes if isinstance(outcome, Exception)] == []
    return [reply.text for reply in outcomes]


def test_a_hold_answered_twice_at_once_is_taken_once_and_told_the_same(settings):
    settings.OPENAI_API_KEY = ""
    add_items(items=SEED_ITEMS)
    anna = make_customer()
    message = inbound(anna, "reserve VNT-NIKE-WB-001")

    first, second = answer_twice_at_once(message)

    assert first == second
    assert first.startswith("Done! VNT-NIKE-WB-001")
    assert ToolCall.objects.filter(message=message).count() == 1
    item = Item.objects.get(sku="VNT-NIKE-WB-001")
    assert (item.status, item.held_by_id) == ("reserved", anna.pk)


def test_an_order_answered_twice_at_once_is_placed_once(settings):
    settings.OPENAI_API_KEY = ""
    add_items(items=SEED_ITEMS)
    anna = make_customer()
    answer(customer=anna, message=inbound(anna, "hold VNT-NIKE-WB-001"))
    message = inbound(anna, "I want to buy it")

    first, second = answer_twice_at_once(message)

    assert first == second
    assert Order.objects.count() == 1
    assert ToolCall.objects.filter(message=message, tool="place_order").count() == 1
