"""Redis clients never wait unboundedly: an unreachable Redis must not hang a webhook request."""

import socket
import time

import pytest
import redis
from dramatiq.brokers.redis import RedisBroker

from philia.environment import with_redis_timeouts


def test_timeouts_are_added_to_a_plain_url():  # REDIS_CONNECT_TIMEOUT and REDIS_SOCKET_TIMEOUT
    assert with_redis_timeouts("redis://127.0.0.1:6379/0", connect=1, answer=3) == (
        "redis://127.0.0.1:6379/0?socket_connect_timeout=1&socket_timeout=3"
    )


def test_timeouts_in_the_url_are_kept():
    assert with_redis_timeouts("rediss://:pw@cache:6380/2?socket_timeout=3", connect=1, answer=7) == (
        "rediss://:pw@cache:6380/2?socket_timeout=3&socket_connect_timeout=1"
    )


@pytest.fixture
def silent_redis():
    """A port that accepts connections and never answers: Redis hung, not refusing."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


def test_a_broker_on_a_hung_redis_gives_up_within_its_socket_timeout(silent_redis):
    broker = RedisBroker(
        url=with_redis_timeouts(f"redis://127.0.0.1:{silent_redis}/0?socket_timeout=0.5", connect=1, answer=3)
    )
    started = time.monotonic()

    with pytest.raises(redis.TimeoutError):
        broker.client.ping()

    assert time.monotonic() - started < 3
