"""queue_replies: a batch of assistant replies (a drop's answers) queued in one INSERT, each sent after commit as
queue_outbound_message would send it."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conversations.models import Customer, Message
from conversations.services import MAX_TEXT_LENGTH, queue_outbound_message, queue_replies


def _wrote(name: str, text: str = "mine!!") -> Message:
    customer = Customer.objects.create(
        tiktok_user_id=name, username=name, conversation_id=f"conv-{name}", last_inbound_at=timezone.now()
    )
    return Message.objects.create(
        customer=customer, role="user", direction="inbound", text=text, tiktok_message_id=f"in-{name}"
    )


# transaction=True: the replies go to the worker on commit, and the worker must see the committed rows.
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("tiktok_settings")
def test_each_message_gets_its_reply_in_one_insert_and_they_go_out_after_commit(dramatiq_worker, fake_tiktok):
    inbound = [_wrote(name) for name in ("ana", "ben", "cy")]

    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        queued = queue_replies(replies=[(message, f"Reply to {message.customer_id}") for message in inbound])
        assert fake_tiktok.sends == []
    dramatiq_worker.drain()

    inserts = [query["sql"] for query in queries.captured_queries if query["sql"].startswith("INSERT")]
    assert len(inserts) == 1
    assert [(m.customer_id, m.in_reply_to_id, m.role, m.text) for m in queued] == [
        (message.customer_id, message.pk, "assistant", f"Reply to {message.customer_id}") for message in inbound
    ]
    assert sorted((send["recipient"], send["text"]["body"]) for send in fake_tiktok.sends) == [
        ("conv-ana", "Reply to ana"),
        ("conv-ben", "Reply to ben"),
        ("conv-cy", "Reply to cy"),
    ]
    assert set(Message.objects.filter(role="assistant").values_list("state", flat=True)) == {"sent"}


@pytest.mark.django_db
def test_a_message_answered_already_keeps_its_reply_and_the_others_get_theirs():
    answered, waiting = _wrote("ana"), _wrote("ben")
    first = queue_outbound_message(
        customer=answered.customer, text="Earlier answer", role="assistant", in_reply_to=answered
    )

    queued = queue_replies(replies=[(answered, "New answer"), (waiting, "Your answer")])

    assert [message.text for message in queued] == ["Earlier answer", "Your answer"]
    assert queued[0].pk == first.pk
    assert sorted(Message.objects.filter(role="assistant").values_list("in_reply_to__customer_id", "text")) == [
        ("ana", "Earlier answer"),
        ("ben", "Your answer"),
    ]


@pytest.mark.django_db
def test_replies_are_cut_to_tiktoks_length_and_an_empty_one_queues_nothing():
    long, empty = _wrote("ana"), _wrote("ben")

    (cut,) = queue_replies(replies=[(long, "x" * (MAX_TEXT_LENGTH + 5))])
    with pytest.raises(ValueError, match="^An outbound message needs text.$"):
        queue_replies(replies=[(empty, "  ")])

    assert (len(cut.text), cut.text[-1]) == (MAX_TEXT_LENGTH, "…")
    assert Message.objects.filter(role="assistant").count() == 1
