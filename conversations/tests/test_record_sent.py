"""A send's own write: the row in `sending` becomes `sent` with TikTok's id, once, whatever got there first."""

import pytest
from django.utils import timezone

from conversations.models import Message
from conversations.outbox import record_sent
from philia.tests.factories import make_customer

pytestmark = pytest.mark.django_db


def _sending(customer, text="Still available!") -> Message:
    return Message.objects.create(
        customer=customer, role="assistant", direction="outbound", state="sending", attempts=1, text=text
    )


def test_the_row_in_sending_becomes_sent_with_tiktoks_id():
    message = _sending(make_customer())
    at = timezone.now()

    record_sent(message=message, tiktok_message_id="tt-1", sent_at=at, later_parts=False)

    stored = Message.objects.get(pk=message.pk)
    assert (stored.state, stored.tiktok_message_id, stored.sent_at, stored.error) == ("sent", "tt-1", at, "")
    assert (message.state, message.tiktok_message_id) == ("sent", "tt-1")


def test_a_row_its_echo_settled_first_is_left_as_the_echo_left_it():
    message = _sending(make_customer())
    Message.objects.filter(pk=message.pk).update(state="sent", tiktok_message_id="tt-echo")

    record_sent(message=message, tiktok_message_id="tt-1", sent_at=timezone.now(), later_parts=False)

    assert Message.objects.get(pk=message.pk).tiktok_message_id == "tt-echo"
    assert message.tiktok_message_id == "tt-echo"  # read back


def test_an_id_the_echo_gave_to_a_twin_row_leaves_this_one_sent_without_it():
    customer = make_customer()
    first, twin = _sending(customer), _sending(customer)
    Message.objects.filter(pk=twin.pk).update(state="sent", tiktok_message_id="tt-1")  # the echo matched the twin

    record_sent(message=first, tiktok_message_id="tt-1", sent_at=timezone.now(), later_parts=False)

    stored = Message.objects.get(pk=first.pk)
    assert (stored.state, stored.tiktok_message_id) == ("sent", None)
