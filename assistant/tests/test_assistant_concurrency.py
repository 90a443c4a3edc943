"""The same inbound message answered by two workers at the same moment still acts once.

transaction=True: the two threads have their own connections and must see each other's commits.
"""

import threading

import pytest
from django.db import connection

from assistant.models import ToolCall
from assistant.services import answer
from assistant.tests.assistant_support import inbound, make_customer
from conversations.models import Message
from inventory.models import Item
from inventory.seed_data import SEED_ITEMS
from inventory.services import add_items
from orders.models import Order

pytestmark = pytest.mark.django_db(transaction=True)


def answer_twice_at_once(message: Message) -> list[str]:
    barrier = threading.Barrier(2, timeout=10)
    replies: list[str] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            reply = answer(customer=message.customer, message=message)
            assert reply is not None
            replies.append(reply.text)
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    return replies


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
