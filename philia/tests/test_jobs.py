"""philia.jobs: an actor is sent by its name, after the transaction commits (never for one rolled back), and a
broker that does not take the job is one log line, not an error for the write that asked for it.

`django_db(transaction=True)`: what happens on commit is what is tested, with a real worker on the real broker.
"""

import dramatiq
import pytest
from django.db import transaction
from dramatiq.brokers.redis import RedisBroker

from philia import jobs

pytestmark = pytest.mark.django_db(transaction=True)

received: list[tuple[str, int]] = []


@dramatiq.actor(actor_name="philia_tests_remember", max_retries=0, time_limit=10_000)
def remember(text: str, number: int = 0) -> None:
    received.append((text, number))


@pytest.fixture(autouse=True)
def nothing_received() -> None:
    received.clear()


def test_an_actor_is_sent_by_its_name_with_its_arguments(dramatiq_worker):
    assert jobs.enqueue("philia_tests_remember", "hold VNT-NIKE-WB-001", number=3) is True

    dramatiq_worker.drain()

    assert received == [("hold VNT-NIKE-WB-001", 3)]


def test_a_job_asked_for_in_a_transaction_is_sent_once_it_commits(dramatiq_worker):
    with transaction.atomic():
        jobs.enqueue_on_commit("philia_tests_remember", "committed")
        dramatiq_worker.drain()
        sent_before_commit = list(received)

    dramatiq_worker.drain()

    assert (sent_before_commit, received) == ([], [("committed", 0)])


def test_a_job_asked_for_in_a_transaction_rolled_back_is_never_sent(dramatiq_worker):
    with pytest.raises(RuntimeError), transaction.atomic():
        jobs.enqueue_on_commit("philia_tests_remember", "rolled back")
        raise RuntimeError("the write failed")

    dramatiq_worker.drain()

    assert received == []


def test_a_broker_that_does_not_take_the_job_is_one_log_line_saying_what_happens_instead(monkeypatch, caplog):
    # A Redis that is not there (port 1): the send fails to connect.
    unreachable = RedisBroker(url="redis://127.0.0.1:1/0", middleware=[], socket_connect_timeout=0.2)
    monkeypatch.setattr(remember, "broker", unreachable)

    sent = jobs.enqueue("philia_tests_remember", "lost", unless_sent="the sweep will send it")

    assert sent is False
    [record] = [record for record in caplog.records if record.name == "philia.jobs"]
    assert (record.getMessage(), record.actor) == ("job not enqueued; the sweep will send it", "philia_tests_remember")


def test_an_unknown_name_is_a_mistake_raised_at_once():
    with pytest.raises(dramatiq.errors.ActorNotFound):
        jobs.enqueue("no_such_actor")
