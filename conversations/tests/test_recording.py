"""Recording what TikTok tells us into a customer's conversation: one statement per message, and what each message
moves on in the conversation — the reply window, the conversation replies go to, the customer's username."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conversations.exceptions import InvalidCustomerId
from conversations.models import Customer, Message
from conversations.services import record_inbound_message, record_owner_message

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def _inbound(message_id: str, *, at=NOW, conversation: str = "conv-1", username: str = "anna", user: str = "u-1"):
    return record_inbound_message(
        tiktok_user_id=user,
        username=username,
        conversation_id=conversation,
        tiktok_message_id=message_id,
        content_type="text",
        text="hi",
        sent_at=at,
    )


def _owner(message_id: str, *, conversation: str, user: str = "u-1") -> Message:
    return record_owner_message(
        tiktok_user_id=user,
        username="",
        conversation_id=conversation,
        tiktok_message_id=message_id,
        content_type="text",
        text="hello from the app",
        sent_at=NOW,
    )


def test_a_new_customers_first_message_is_one_statement_and_creates_them():
    with CaptureQueriesContext(connection) as queries:
        message, new = _inbound("m-1")

    assert len(queries.captured_queries) == 1
    assert new and message.first_from_customer and message.recorded_now
    customer = Customer.objects.get(pk="u-1")
    assert (customer.username, customer.conversation_id, customer.last_inbound_at) == ("anna", "conv-1", NOW)
    assert message.customer == customer and message.customer.last_inbound_at == NOW
    assert Message.objects.get(pk=message.pk).customer_id == "u-1"


def test_the_window_reopens_from_the_newest_message_and_never_moves_back_for_a_late_one():
    _inbound("m-1", at=NOW - timedelta(hours=1))
    newest, _ = _inbound("m-2", at=NOW)
    late, new = _inbound("m-0", at=NOW - timedelta(hours=3))

    assert new and not late.first_from_customer
    assert newest.customer.last_inbound_at == NOW == late.customer.last_inbound_at
    assert Customer.objects.get(pk="u-1").last_inbound_at == NOW


def test_the_customers_message_sets_the_conversation_the_owners_only_fills_a_missing_one():
    _owner("o-1", conversation="conv-from-owner")
    assert Customer.objects.get(pk="u-1").conversation_id == "conv-from-owner"  # none known: filled in
    _inbound("m-1", conversation="conv-new")
    assert Customer.objects.get(pk="u-1").conversation_id == "conv-new"  # the customer's own: replies go there
    _owner("o-2", conversation="conv-other")
    customer = Customer.objects.get(pk="u-1")
    assert customer.conversation_id == "conv-new"  # the owner's does not move it
    assert customer.last_inbound_at == NOW  # nor reopen the window


def test_a_username_sent_with_a_message_replaces_the_one_known_and_none_keeps_it():
    _inbound("m-1", username="anna")
    _inbound("m-2", username="anna_vintage")
    assert Customer.objects.get(pk="u-1").username == "anna_vintage"
    _inbound("m-3", username="")
    assert Customer.objects.get(pk="u-1").username == "anna_vintage"


def test_a_redelivered_message_is_recorded_once_and_gives_the_first_row():
    first, _ = _inbound("m-1")
    again, new = _inbound("m-1", username="someone_else")

    assert not new and again.pk == first.pk
    assert Message.objects.filter(tiktok_message_id="m-1").count() == 1


def test_a_customer_id_too_long_or_empty_is_refused_before_any_write():
    for user in ("x" * 129, "   "):
        with pytest.raises(InvalidCustomerId):
            _inbound(f"m-{len(user)}", user=user)
    assert not Customer.objects.exists() and not Message.objects.exists()
