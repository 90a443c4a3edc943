from datetime import timedelta

import pytest
from django.utils import timezone

from conversations.exceptions import InvalidCustomerId
from conversations.models import Customer, Message
from conversations.services import (
    INDEFINITE_PAUSE,
    get_or_create_customer,
    pause_bot,
    record_inbound_message,
    resume_bot,
)
from philia.tests.factories import make_customer

pytestmark = pytest.mark.django_db


def test_new_tiktok_user_becomes_a_customer():
    customer = get_or_create_customer(tiktok_user_id=" tt-123 ", username="vintagefan", display_name="Vintage Fan")

    assert (customer.pk, customer.username, customer.display_name) == ("tt-123", "vintagefan", "Vintage Fan")
    assert Customer.objects.count() == 1


def test_known_customer_is_returned_with_new_names_filled_in():
    make_customer("tt-123", username="oldname", display_name="Old")

    customer = get_or_create_customer(tiktok_user_id="tt-123", username="newname")

    assert (customer.username, customer.display_name) == ("newname", "Old")
    assert Customer.objects.get().username == "newname"


def test_customer_needs_a_tiktok_user_id():
    with pytest.raises(InvalidCustomerId, match="^A customer needs a TikTok user id.$"):
        get_or_create_customer(tiktok_user_id="  ")


def test_a_tiktok_user_id_longer_than_the_column_is_refused_before_any_write():
    with pytest.raises(InvalidCustomerId, match="^A TikTok user id is at most 128 characters, not 129.$"):
        get_or_create_customer(tiktok_user_id="x" * 129)

    assert Customer.objects.count() == 0


def test_pausing_for_some_hours_keeps_the_bot_quiet_until_then():
    customer = make_customer()
    now = timezone.now()

    pause_bot(customer=customer, hours=12, now=now)

    customer.refresh_from_db()
    assert customer.bot_paused_until == now + timedelta(hours=12)
    assert customer.is_bot_paused(now=now + timedelta(hours=11))
    assert not customer.is_bot_paused(now=now + timedelta(hours=12))


def test_pausing_without_hours_lasts_until_resumed():
    customer = make_customer()
    now = timezone.now()

    pause_bot(customer=customer, now=now)

    assert Customer.objects.get().bot_paused_until == now + INDEFINITE_PAUSE


def test_pause_must_last_some_time():
    with pytest.raises(ValueError, match="positive number of hours"):
        pause_bot(customer=make_customer(), hours=0)


def test_resuming_lets_the_bot_answer_and_clears_a_request_for_a_person():
    customer = make_customer(bot_paused_until=timezone.now() + INDEFINITE_PAUSE, handoff_requested_at=timezone.now())

    resume_bot(customer=customer)

    customer.refresh_from_db()
    assert (customer.bot_paused_until, customer.handoff_requested_at) == (None, None)
    assert not customer.is_bot_paused()


def _record(message_id: str, *, user: str = "tt-123") -> Message:
    message, _ = record_inbound_message(
        tiktok_user_id=user,
        username="vintagefan",
        conversation_id="conv-1",
        tiktok_message_id=message_id,
        content_type="text",
        text="hi",
        sent_at=None,
    )
    return message


def test_a_message_recorded_now_says_so_and_whether_its_customer_came_with_it():
    first = _record("m-1")
    second = _record("m-2")
    redelivered = _record("m-1")

    assert (first.recorded_now, first.first_from_customer) == (True, True)
    assert (second.recorded_now, second.first_from_customer) == (True, False)
    # A replayed delivery gives the row recorded the first time: a job may have acted on it already.
    assert (redelivered.pk, redelivered.recorded_now, redelivered.first_from_customer) == (first.pk, False, False)
    assert (Message.objects.get(pk=first.pk).recorded_now, Message.objects.get(pk=first.pk).first_from_customer) == (
        False,
        False,
    )
