"""acquire_within: the in-process wait for a Dramatiq rate limiter (on the test Redis) the workers share."""

import time

import pytest

from tiktok.limits import acquire_within, conversation_mutex


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
