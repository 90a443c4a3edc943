"""The outbox sweep: untried queued rows come back after OUTBOX_STALE_QUEUED_SECONDS, rows waiting for a retry
keep their backoff (OUTBOX_STALE_RETRY_SECONDS), and rows stuck in `sending` are flagged once, never resent."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations.models import Customer, Message
from conversations.outbox_sweep import flag_stuck_sending, requeue_stale_outbox
from notifications.models import Notification

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tiktok_settings")]


@pytest.fixture
def anna() -> Customer:
    return Customer.objects.create(
        tiktok_user_id="anna-id", username="anna", conversation_id="conv-anna", last_inbound_at=timezone.now()
    )


def _outbound(customer: Customer, *, state: str, attempts: int, age: timedelta, text: str) -> Message:
    message = Message.objects.create(
        customer=customer, role="assistant", direction="outbound", state=state, attempts=attempts, text=text
    )
    Message.objects.filter(pk=message.pk).update(
        updated_at=timezone.now() - age, sending_started_at=timezone.now() - age if state == "sending" else None
    )
    return message


def test_untried_rows_come_back_after_the_setting_and_retrying_rows_keep_their_backoff(anna, settings, dramatiq_broker):
    settings.OUTBOX_STALE_QUEUED_SECONDS = 45
    settings.OUTBOX_STALE_RETRY_SECONDS = 600
    lost = _outbound(anna, state="queued", attempts=0, age=timedelta(seconds=50), text="lost job")
    _outbound(anna, state="queued", attempts=0, age=timedelta(seconds=30), text="job still coming")
    _outbound(anna, state="queued", attempts=2, age=timedelta(seconds=300), text="waiting for its retry")
    long_lost_retry = _outbound(anna, state="queued", attempts=2, age=timedelta(seconds=700), text="retry lost")

    assert requeue_stale_outbox() == 2

    touched = set(
        Message.objects.filter(updated_at__gt=timezone.now() - timedelta(seconds=5)).values_list("pk", flat=True)
    )
    assert touched == {lost.pk, long_lost_retry.pk}
    assert requeue_stale_outbox() == 0


def test_rows_stuck_in_sending_are_flagged_to_the_owner_once_and_left_in_sending(anna, settings):
    settings.OUTBOX_STUCK_SENDING_SECONDS = 20
    stuck = _outbound(anna, state="sending", attempts=1, age=timedelta(seconds=30), text="cut off")
    _outbound(anna, state="sending", attempts=1, age=timedelta(seconds=5), text="in flight")

    assert flag_stuck_sending() == 1
    assert flag_stuck_sending() == 1

    [notification] = Notification.objects.all()
    assert notification.cause == f"message:{stuck.pk}"
    assert "stuck in sending" in notification.text and "never resent" in notification.text
    stuck.refresh_from_db()
    assert (stuck.state, stuck.attempts) == ("sending", 1)
