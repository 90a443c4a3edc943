"""A customer skipped by a waitlist turn because their window was closed, who writes again while the piece is
still free, gets it held (WAITLIST_AUTO_HOLD) or is told it is free, just after the answer to what they wrote.

transaction=True: the turn runs in a real Dramatiq worker thread, which must see committed rows.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assistant import notices
from assistant.formatting import when
from assistant.tests.assistant_support import make_customer, say
from conversations.models import Customer, Message
from inventory.models import Item, WaitlistEntry
from inventory.services import join_waitlist
from philia.tests.factories import make_item

pytestmark = pytest.mark.django_db(transaction=True)

LINE = "VNT-TEST-001 · Test Jacket · $45"


@pytest.fixture(autouse=True)
def offline(settings):
    settings.OPENAI_API_KEY = ""


def skipped_while_away() -> Customer:
    """On the piece's waitlist; the piece came free while their window was closed, so nobody was told."""
    customer = make_customer("away-id", "away")
    skipped_while_away_as(customer)
    return customer


def skipped_while_away_as(customer: Customer) -> Item:
    """`customer` on a free piece's waitlist, skipped by its turn because their window was closed: the piece."""
    Customer.objects.filter(pk=customer.pk).update(last_inbound_at=timezone.now() - timedelta(hours=49))
    item = make_item()
    join_waitlist(sku=item.sku, customer=customer)
    assert notices.offer_to_waitlist(item_id=item.pk) is False
    return item


def writes_again(customer: Customer, text: str = "hi!") -> None:
    Customer.objects.filter(pk=customer.pk).update(last_inbound_at=timezone.now())  # as the intake does
    assert say(customer, text) is not None


def told(customer: Customer) -> list[str]:
    return list(
        Message.objects.filter(customer=customer, role=Message.Role.ASSISTANT)
        .order_by("created_at", "id")
        .values_list("text", flat=True)
    )


def test_writing_again_gets_the_free_piece_held_after_the_answer(dramatiq_worker):
    customer = skipped_while_away()

    writes_again(customer)
    dramatiq_worker.drain(timeout_ms=20_000)

    item = Item.objects.get()
    assert (item.status, item.held_by_id) == (Item.Status.RESERVED, "away-id")
    messages = told(customer)
    assert len(messages) == 2  # the answer to "hi!", then the news
    assert messages[1].startswith(
        f"Good news: {LINE} is free again, and it's on hold for you until {when(item.held_until)}. "
    )
    assert not WaitlistEntry.objects.exists()


def test_without_auto_hold_writing_again_tells_them_it_is_free_once(dramatiq_worker, settings):
    settings.WAITLIST_AUTO_HOLD = False
    customer = skipped_while_away()

    writes_again(customer)
    dramatiq_worker.drain(timeout_ms=20_000)
    writes_again(customer, "thanks")
    dramatiq_worker.drain(timeout_ms=20_000)

    free_again = f"Good news: {LINE} you were waiting for is free again! Say \"I'll take it\" and I'll hold it for you."
    assert told(customer).count(free_again) == 1
    assert Item.objects.get().status == Item.Status.AVAILABLE
    assert WaitlistEntry.objects.filter(customer=customer).count() == 1


def test_a_piece_held_by_someone_else_meanwhile_is_not_offered(dramatiq_worker):
    customer = skipped_while_away()
    other = make_customer("other-id", "other")
    Item.objects.update(status=Item.Status.RESERVED, held_by=other, held_until=timezone.now() + timedelta(hours=5))

    writes_again(customer)
    dramatiq_worker.drain(timeout_ms=20_000)

    assert Item.objects.get().held_by_id == "other-id"
    assert len(told(customer)) == 1  # only the answer


def test_a_returning_customers_turn_reads_the_waitlist_with_its_history(dramatiq_worker):
    """The history's statement tells whether a waited-for piece is free (`assistant.memory.recent_messages`): no
    read of the waitlist of its own, and the piece still gets its turn."""
    customer = make_customer("away-id", "away")
    assert say(customer, "hello") is not None  # a conversation to read back
    skipped = skipped_while_away_as(customer)

    Customer.objects.filter(pk=customer.pk).update(last_inbound_at=timezone.now())
    with CaptureQueriesContext(connection) as queries:
        assert say(customer, "hi again") is not None
    dramatiq_worker.drain(timeout_ms=20_000)

    statements = [query["sql"] for query in queries.captured_queries]
    assert any('"inventory_waitlistentry"' in sql and '"conversations_message"' in sql for sql in statements)
    assert not [sql for sql in statements if sql.startswith('SELECT "inventory_waitlistentry"')]
    skipped.refresh_from_db()
    assert (skipped.status, skipped.held_by_id) == (Item.Status.RESERVED, "away-id")


def test_a_returning_customer_waiting_for_nothing_free_is_offered_nothing(dramatiq_worker):
    customer = make_customer("away-id", "away")
    assert say(customer, "hello") is not None
    held = make_item()
    Item.objects.filter(pk=held.pk).update(
        status=Item.Status.RESERVED,
        held_by=make_customer("other-id", "other"),
        held_until=timezone.now() + timedelta(hours=2),
    )
    join_waitlist(sku=held.sku, customer=customer)

    assert say(customer, "hi again") is not None
    dramatiq_worker.drain(timeout_ms=20_000)

    held.refresh_from_db()
    assert held.held_by_id == "other-id"
    assert len(told(customer)) == 2  # the two answers, no news
