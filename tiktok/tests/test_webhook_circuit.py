"""The webhook's broker circuit: after an enqueue fails, the broker is not tried for BROKER_CIRCUIT_SECONDS,
so a Redis outage costs one timeout, not one per delivery (the events are stored; the sweep enqueues them)."""

import time

import pytest
from dramatiq.brokers.redis import RedisBroker

from assistant.tasks import handle_event
from testing.tiktok import im_receive_msg_body, post_webhook
from tiktok.circuit import BrokerCircuit, webhook_circuit
from tiktok.models import WebhookEvent

# transaction=True: the enqueue runs on commit.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("tiktok_settings")]


def test_the_circuit_opens_on_a_failure_for_its_seconds_and_closes_on_a_success():
    now = [100.0]
    circuit = BrokerCircuit(seconds=lambda: 5.0, clock=lambda: now[0])

    assert circuit.is_open() is False
    circuit.failed()
    now[0] = 104.9
    assert circuit.is_open() is True
    now[0] = 105.0
    assert circuit.is_open() is False
    circuit.failed()
    circuit.succeeded()
    assert circuit.is_open() is False


class CountingBroker(RedisBroker):
    """A broker on a port where nothing listens, counting the enqueues tried."""

    tries = 0

    def enqueue(self, message, *, delay=None):
        CountingBroker.tries += 1
        return super().enqueue(message, delay=delay)


def test_with_the_broker_down_only_the_first_delivery_tries_it_and_all_are_stored(client, monkeypatch, settings):
    settings.BROKER_CIRCUIT_SECONDS = 30
    CountingBroker.tries = 0
    monkeypatch.setattr(handle_event, "broker", CountingBroker(url="redis://127.0.0.1:1/0", middleware=[]))
    started = time.monotonic()

    answers = [
        post_webhook(client, im_receive_msg_body("anyone?", user="anna", message_id=f"circuit-{n}")).json()
        for n in range(5)
    ]

    assert answers == [{"status": "accepted"}] * 5
    assert CountingBroker.tries == 1
    assert webhook_circuit.is_open() is True
    assert WebhookEvent.objects.filter(status="received").count() == 5
    assert time.monotonic() - started < 2
