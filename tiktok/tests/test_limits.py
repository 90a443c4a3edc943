"""The conversation mutex (a lease in the test Redis) and acquire_within, the in-process wait for it."""

import threading
import time

import pytest

from tiktok.limits import Lease, acquire_within, conversation_mutex, renewed_while_held


@pytest.fixture
def mutex():
    return conversation_mutex("limits-test-conversation")


def test_a_busy_mutex_is_not_got_and_the_wait_is_bounded(mutex):
    with mutex.acquire(raise_on_failure=False) as held_elsewhere:
        assert held_elsewhere
        started = time.monotonic()
        with acquire_within(mutex, seconds=0.3) as acquired:
            waited = time.monotonic() - started
            assert acquired is False

    assert 0.3 <= waited < 1.0


def test_the_slot_is_held_for_the_block_and_released_after_it_even_on_an_error(mutex):
    with pytest.raises(RuntimeError):
        with acquire_within(mutex, seconds=0.3) as acquired:
            assert acquired is True
            with mutex.acquire(raise_on_failure=False) as second:
                assert second is False
            raise RuntimeError("the work failed")

    with acquire_within(mutex, seconds=0) as acquired_again:
        assert acquired_again is True


def test_a_conversation_mutex_whose_holder_died_frees_itself_within_its_lease(settings):
    # A worker killed while holding it never releases it: only the short lease frees the conversation.
    settings.CONVERSATION_LEASE_SECONDS = 1
    dead_holder = conversation_mutex("limits-test-dead-holder")
    assert dead_holder.take() is True

    with acquire_within(conversation_mutex("limits-test-dead-holder"), seconds=0.3) as while_leased:
        assert while_leased is False
    time.sleep(1.1)
    with acquire_within(conversation_mutex("limits-test-dead-holder"), seconds=0) as after_lease:
        assert after_lease is True


def test_a_live_holder_keeps_its_mutex_past_the_lease_by_renewing_it(settings):
    settings.CONVERSATION_LEASE_SECONDS = 1
    mutex = conversation_mutex("limits-test-renewed")
    with acquire_within(mutex, seconds=0) as acquired, renewed_while_held(mutex):
        assert acquired is True
        time.sleep(2.5)
        with conversation_mutex("limits-test-renewed").acquire(raise_on_failure=False) as other_worker:
            assert other_worker is False

    with conversation_mutex("limits-test-renewed").acquire(raise_on_failure=False) as after_release:
        assert after_release is True


def test_leases_held_together_are_renewed_by_one_thread_however_many_blocks_run(settings):
    settings.CONVERSATION_LEASE_SECONDS = 1
    for number in range(50):  # jobs come and go: no thread of their own each
        with renewed_while_held(conversation_mutex(f"limits-test-brief-{number}")):
            pass
    threads = threading.active_count()
    first, second = conversation_mutex("limits-test-one"), conversation_mutex("limits-test-two")
    with acquire_within(first, seconds=0), acquire_within(second, seconds=0):
        with renewed_while_held(first), renewed_while_held(second):
            time.sleep(2.5)
            assert threading.active_count() == threads
            for name in ("limits-test-one", "limits-test-two"):
                with conversation_mutex(name).acquire() as other_worker:
                    assert other_worker is False


def test_a_lease_due_sooner_than_the_sleeping_renewer_wakes_is_still_renewed_in_time(settings):
    """The renewer sleeps until the soonest lease is due; a lease of a shorter ttl held meanwhile wakes it."""
    settings.CONVERSATION_LEASE_SECONDS = 1
    long_lease = Lease(conversation_mutex("limits-test-long").key, ttl=60_000)
    short_lease = conversation_mutex("limits-test-short")
    with acquire_within(long_lease, seconds=0), renewed_while_held(long_lease):
        time.sleep(0.5)  # past any earlier test's lease's renewal: the renewer sleeps until the long one's, 20 s away
        with acquire_within(short_lease, seconds=0) as acquired, renewed_while_held(short_lease):
            assert acquired is True
            time.sleep(2.5)
            with conversation_mutex("limits-test-short").acquire() as other_worker:
                assert other_worker is False
