"""A write made in the statement of another (`philia.db.Along`): one round trip, the same rows as two statements."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conversations.models import Message
from philia.db import insert_row, run_along, update_along
from philia.tests.factories import make_customer

pytestmark = pytest.mark.django_db


def _reply(customer, text: str) -> Message:
    return Message(customer=customer, role="assistant", direction="outbound", state="queued", text=text)


def test_an_along_runs_in_the_insert_and_counts_the_rows_it_changed():
    anna = make_customer("anna")
    note = Message.objects.create(customer=anna, role="user", direction="inbound", text="hi")
    along = update_along(Message, {"text": "hi!"}, where='"id" = %s AND "text" = %s', params=[note.pk, "hi"])

    with CaptureQueriesContext(connection) as queries:
        reply = insert_row(_reply(anna, "Hello!"), along=along)

    assert len(queries) == 1 and along.rows == 1
    assert Message.objects.get(pk=note.pk).text == "hi!"
    assert Message.objects.get(pk=reply.pk).text == "Hello!"
    assert run_along(along) == 1 and len(queries) == 1  # ran already: not again


def test_an_along_that_matches_nothing_counts_none_and_the_row_is_still_inserted():
    anna = make_customer("anna")
    along = update_along(Message, {"text": "hi!"}, where='"id" = %s', params=[-1])

    reply = insert_row(_reply(anna, "Hello!"), along=along)

    assert along.rows == 0 and Message.objects.filter(pk=reply.pk).exists()


def test_an_along_not_taken_by_an_insert_runs_on_its_own():
    anna = make_customer("anna")
    first = Message.objects.create(customer=anna, role="user", direction="inbound", text="a")
    second = Message.objects.create(customer=anna, role="user", direction="inbound", text="b")
    along = update_along(Message, {"text": "seen"}, where='"id" IN (%s, %s)', params=[first.pk, second.pk])

    assert along.rows is None
    assert run_along(along) == 2 and along.rows == 2
    assert set(Message.objects.values_list("text", flat=True)) == {"seen"}
