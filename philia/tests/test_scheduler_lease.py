"""`manage.py crontab`'s lease: taken, renewed, taken again after Redis lost it (a restart), never two owners,
and a Redis that does not answer is waited out instead of stopping the scheduler. (faults/test_redis_stopped.py
restarts a real Redis under a real `manage.py crontab`.)"""

import redis
from django.conf import settings

from philia.management.commands.crontab import SchedulerLease, guarded

KEY = f"{settings.DRAMATIQ_BROKER['OPTIONS']['namespace']}:scheduler-lease-test"


def _client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


def test_a_lease_lost_with_redis_is_taken_again_and_a_second_scheduler_waits():
    client = _client()
    client.delete(KEY)
    first = SchedulerLease(client, key=KEY, seconds=10)
    second = SchedulerLease(_client(), key=KEY, seconds=10)
    try:
        first.keep()
        second.keep()
        assert (first.owned.is_set(), second.owned.is_set()) == (True, False)

        client.delete(KEY)  # what a Redis restarted empty looks like
        first.keep()
        second.keep()
        assert (first.owned.is_set(), second.owned.is_set()) == (True, False)
        assert client.pttl(KEY) > 9000
    finally:
        first.release()
        second.release()
    assert client.exists(KEY) == 0


def test_an_unreachable_redis_is_waited_out_and_jobs_say_so_in_one_line(caplog):
    lease = SchedulerLease(
        redis.Redis.from_url("redis://127.0.0.1:1/0?socket_connect_timeout=0.2"), key=KEY, seconds=10
    )
    lease.keep()
    assert lease.owned.is_set() is False

    def enqueue():
        raise redis.exceptions.ConnectionError("refused")

    lease.owned.set()  # as if it had taken the lease before Redis went away
    guarded(enqueue, name="requeue_stale_events_job", lease=lease)()

    assert "scheduled job requeue_stale_events_job not enqueued: Redis unavailable (ConnectionError)" in caplog.text
    assert "scheduler cannot reach Redis (ConnectionError)" in caplog.text


def test_jobs_skip_their_runs_while_another_scheduler_owns_the_lease():
    client = _client()
    client.delete(KEY)
    owner, waiting = SchedulerLease(client, key=KEY, seconds=10), SchedulerLease(_client(), key=KEY, seconds=10)
    runs = []
    try:
        owner.keep()
        waiting.keep()
        guarded(lambda: runs.append("owner"), name="job", lease=owner)()
        guarded(lambda: runs.append("waiting"), name="job", lease=waiting)()
    finally:
        owner.release()
    assert runs == ["owner"]
