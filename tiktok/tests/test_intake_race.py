"""Two deliveries of one TikTok message racing: the second waits for the first's commit and is a duplicate, never
a 500. `django_db(transaction=True)`: two real connections, the first holding its insert open.
"""

import threading
from functools import partial

import pytest
from django.db import connection, transaction

from philia.tests.concurrency import run_at_once
from testing.tiktok import im_receive_msg_body
from tiktok.envelopes import parse_envelope
from tiktok.models import WebhookEvent
from tiktok.services import RecordedEvent, record_webhook_event

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("tiktok_settings", "dramatiq_broker")]


def test_a_delivery_racing_one_not_yet_committed_is_a_duplicate_once_that_one_commits() -> None:
    body = im_receive_msg_body("is VNT-001 still available?", user="anna", message_id="race-1")
    envelope = parse_envelope(body)
    second: list[object] = []
    started = threading.Event()

    def deliver_again() -> None:
        try:
            started.set()
            second.append(record_webhook_event(body=body, envelope=envelope).outcome)
        except Exception as error:  # what the webhook would have answered with a 500
            second.append(error)
        finally:
            connection.close()

    with transaction.atomic():
        first = record_webhook_event(body=body, envelope=envelope)
        racer = threading.Thread(target=deliver_again)
        racer.start()
        assert started.wait(timeout=10)
        racer.join(timeout=1)  # it waits on the first's row until the commit
        waiting = racer.is_alive()
    racer.join(timeout=10)

    assert (first.outcome, waiting, second) == ("accepted", True, ["duplicate"])
    assert WebhookEvent.objects.filter(tiktok_message_id="race-1").count() == 1


def test_many_deliveries_of_one_message_at_once_store_one_row_and_raise_nothing() -> None:
    outcomes: list[object] = []
    for round_number in range(20):
        body = im_receive_msg_body("hi", user="anna", message_id=f"burst-{round_number}")
        envelope = parse_envelope(body)
        outcomes += run_at_once([partial(record_webhook_event, body=body, envelope=envelope)] * 12, timeout=20)

    failures = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert failures == []
    recorded = [outcome for outcome in outcomes if isinstance(outcome, RecordedEvent)]
    assert sorted(one.outcome for one in recorded) == sorted(["accepted"] * 20 + ["duplicate"] * 220)
    assert WebhookEvent.objects.count() == 20
