"""A staff reply pauses the bot for some hours, but never cuts short a longer pause committed at the same
moment (the customer asking for a person pauses it until resumed)."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from conversations.models import Customer
from conversations.services import INDEFINITE_PAUSE, reply_as_staff, request_handoff

# transaction=True: two real transactions on two connections, one waiting on the other's row lock.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("tiktok_settings", "dramatiq_broker")]


def _lock_waits() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE NOT granted"
            " AND pid IN (SELECT pid FROM pg_stat_activity WHERE datname = current_database())"
        )
        return cursor.fetchone()[0]


def test_staff_reply_does_not_shorten_a_hand_off_pause_committed_while_it_waited() -> None:
    Customer.objects.create(tiktok_user_id="anna-id", conversation_id="conv-anna", last_inbound_at=timezone.now())
    handed_off, commit_hand_off = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def hand_off() -> None:
        try:
            with transaction.atomic():
                request_handoff(customer=Customer.objects.get(pk="anna-id"))
                handed_off.set()
                commit_hand_off.wait(timeout=10)
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    def staff_reply() -> None:
        try:
            # Reads the customer before the hand-off commits; its pause waits on the hand-off's row lock.
            reply_as_staff(customer=Customer.objects.get(pk="anna-id"), text="Hi, it's the owner here!")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    hand_off_thread = threading.Thread(target=hand_off)
    hand_off_thread.start()
    assert handed_off.wait(timeout=10)
    staff_thread = threading.Thread(target=staff_reply)
    staff_thread.start()
    deadline = time.monotonic() + 10
    while _lock_waits() == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    commit_hand_off.set()
    hand_off_thread.join(timeout=10)
    staff_thread.join(timeout=10)

    assert errors == []
    customer = Customer.objects.get(pk="anna-id")
    assert customer.handoff_requested_at is not None
    assert customer.bot_paused_until is not None
    assert customer.bot_paused_until - timezone.now() > INDEFINITE_PAUSE - timedelta(minutes=1)
