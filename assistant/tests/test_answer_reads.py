"""Reads the assistant skips for a message the intake has just recorded: a customer created with their message has
no history and waits for nothing, and nothing can have acted on a message recorded by the job answering it. A
message handled again (its job retried) reads everything, so its earlier run's actions replay."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from assistant.models import ToolCall
from assistant.results import Held
from assistant.services import answer
from assistant.tools import Toolbox
from conversations.models import Message
from conversations.services import record_inbound_message
from inventory.models import Item

NIKE = "VNT-NIKE-WB-001"


def _recorded(text: str, *, message_id: str, user: str = "tt-anna") -> Message:
    message, _ = record_inbound_message(
        tiktok_user_id=user,
        username="anna",
        conversation_id=f"conv-{user}",
        tiktok_message_id=message_id,
        content_type="text",
        text=text,
        sent_at=None,
    )
    return message


def _tables_read(queries: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in queries.captured_queries if query["sql"].startswith("SELECT")]


def test_a_new_customers_first_message_reads_no_history_and_no_waitlist(stock):
    message = _recorded("hi! any nike jackets?", message_id="m-1")

    with CaptureQueriesContext(connection) as queries:
        reply = answer(customer=message.customer, message=message)

    assert reply is not None and NIKE in reply.text
    reads = _tables_read(queries)
    assert [sql for sql in reads if '"conversations_message"' in sql.split(" WHERE ")[0]] == []
    assert [sql for sql in reads if '"inventory_waitlistentry"' in sql] == []


def test_their_next_message_reads_both(stock):
    _recorded("hi! any nike jackets?", message_id="m-1")
    message = _recorded("what about carhartt", message_id="m-2")

    with CaptureQueriesContext(connection) as queries:
        answer(customer=message.customer, message=message)

    reads = _tables_read(queries)
    assert len([sql for sql in reads if '"conversations_message"' in sql.split(" WHERE ")[0]]) == 1
    assert len([sql for sql in reads if '"inventory_waitlistentry"' in sql]) == 1


def test_a_hold_for_a_message_recorded_now_looks_for_no_earlier_run_and_runs_once_per_turn(stock):
    message = _recorded(f"hold {NIKE}", message_id="m-1")
    toolbox = Toolbox(customer=message.customer, message=message)

    with CaptureQueriesContext(connection) as queries:
        first = toolbox.hold_item(sku=NIKE)
        held_until = Item.objects.get(sku=NIKE).held_until
        again = toolbox.hold_item(sku=NIKE.lower())

    assert isinstance(first, Held) and again == first
    assert toolbox.actions == [first, first]
    assert Item.objects.get(sku=NIKE).held_until == held_until  # not extended by the second ask
    assert [sql for sql in _tables_read(queries) if '"assistant_toolcall"' in sql] == []
    assert ToolCall.objects.filter(message=message).count() == 1


def test_the_same_message_handled_again_replays_its_first_runs_hold(stock):
    message = _recorded(f"hold {NIKE}", message_id="m-1")
    first = Toolbox(customer=message.customer, message=message).hold_item(sku=NIKE)
    held_until = Item.objects.get(sku=NIKE).held_until

    retried = Message.objects.get(pk=message.pk)  # the retried job reads the row again
    again = Toolbox(customer=retried.customer, message=retried).hold_item(sku=NIKE)

    assert again == first
    assert Item.objects.get(sku=NIKE).held_until == held_until
    assert ToolCall.objects.filter(message=message).count() == 1
