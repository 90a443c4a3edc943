"""Dramatiq rate limiters the channel uses, on django_dramatiq's backend (Redis). Keys carry the broker's
namespace so shops or test runs sharing one Redis never share a limit."""

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django_dramatiq.apps import DjangoDramatiqConfig
from dramatiq.rate_limits import ConcurrentRateLimiter, RateLimiter, WindowRateLimiter

logger = logging.getLogger(__name__)

TOKEN_REFRESH_MUTEX_TTL_MS = 60_000


def _key(name: str) -> str:
    namespace = settings.DRAMATIQ_BROKER.get("OPTIONS", {}).get("namespace", "philia")
    return f"{namespace}:{name}"


def conversation_mutex(conversation_id: str) -> ConcurrentRateLimiter:
    """One worker at a time per TikTok conversation, so its messages are handled in order. Held on a short
    lease (CONVERSATION_LEASE_SECONDS) that the holder renews while it works (`renewed_while_held`): a
    worker that dies frees the conversation within the lease, not after the longest job could last."""
    return ConcurrentRateLimiter(
        DjangoDramatiqConfig.get_rate_limiter_backend(),
        _key(f"tiktok-conversation:{conversation_id}"),
        limit=1,
        ttl=max(1, settings.CONVERSATION_LEASE_SECONDS) * 1000,
    )


@contextmanager
def renewed_while_held(limiter: ConcurrentRateLimiter) -> Iterator[None]:
    """Renew `limiter`'s lease every third of its ttl on a background thread until the block ends. The
    renewal re-sets the key with its current count and a fresh ttl (an increment of 0), so it never takes a
    slot; if the lease has already run out it only writes a free slot back. A renewal that fails (Redis down)
    is tried again at the next tick: the lease is then as long as Redis keeps it."""
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(limiter.ttl / 3000):
            try:
                limiter.backend.incr(limiter.key, 0, maximum=limiter.limit, ttl=limiter.ttl)
            except Exception:
                logger.warning("lease not renewed", extra={"key": limiter.key}, exc_info=True)

    thread = threading.Thread(target=renew, name=f"lease:{limiter.key}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


def send_rate_limiter() -> WindowRateLimiter:
    """Shop-wide: at most TIKTOK_SENDS_PER_SECOND sends in any one-second window, across all workers."""
    return WindowRateLimiter(
        DjangoDramatiqConfig.get_rate_limiter_backend(),
        _key("tiktok-sends"),
        limit=max(1, settings.TIKTOK_SENDS_PER_SECOND),
        window=1,
    )


# A customer's next send slot, kept in Redis as a time (ms, Redis' clock): the caller waits until its slot, and the
# one after it is a customer interval later. One command (EVALSHA); the key lasts a second past the last slot.
_NEXT_SLOT = """
local now_parts = redis.call('TIME')
local now = now_parts[1] * 1000 + math.floor(now_parts[2] / 1000)
local interval = tonumber(ARGV[1])
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if slot < now then slot = now end
redis.call('SET', KEYS[1], slot + interval, 'PX', slot + interval - now + 1000)
return slot - now
"""


_next_slot_scripts: dict[int, Any] = {}  # by client: EVALSHA once the script is loaded


def customer_send_interval_ms() -> int:
    """The least time between two sends to one customer: a customer may take half the shop's sends a second
    (TIKTOK_SENDS_PER_SECOND), so one with many replies waiting leaves the other half to everyone else."""
    per_customer = max(1, settings.TIKTOK_SENDS_PER_SECOND // 2)
    return max(1, 1000 // per_customer)


def customer_send_wait_ms(customer_id: str) -> int:
    """Book this customer's next send slot, across all workers: how long to wait for it (0: now). A customer who
    had no send in the last interval waits for nothing; the sends of one with many waiting are spaced a customer
    interval apart, each told its own wait, so they wait once and never churn. Redis unreachable: 0 (the
    shop-wide limit still holds)."""
    client = DjangoDramatiqConfig.get_rate_limiter_backend().client
    script = _next_slot_scripts.get(id(client))
    if script is None:
        script = _next_slot_scripts.setdefault(id(client), client.register_script(_NEXT_SLOT))
    try:
        key = _key(f"tiktok-customer-send:{customer_id}")
        return int(script(keys=[key], args=[customer_send_interval_ms()]))
    except Exception:
        logger.warning("customer send slot not booked", extra={"customer": customer_id}, exc_info=True)
        return 0


def token_refresh_mutex() -> ConcurrentRateLimiter:
    """The refresh token rotates on use: two refreshes at once would leave one of them with a dead token."""
    return ConcurrentRateLimiter(
        DjangoDramatiqConfig.get_rate_limiter_backend(),
        _key("tiktok-token-refresh"),
        limit=1,
        ttl=TOKEN_REFRESH_MUTEX_TTL_MS,
    )


@contextmanager
def acquire_within(limiter: RateLimiter, *, seconds: float, poll_seconds: float = 0.05) -> Iterator[bool]:
    """`limiter.acquire(raise_on_failure=False)`, trying again for up to `seconds` while it is busy: yields
    whether a slot was got (and holds it until the block ends). A caller that gets none should yield its
    worker thread (retry later) rather than wait longer."""
    deadline = time.monotonic() + seconds
    while True:
        with limiter.acquire(raise_on_failure=False) as acquired:
            if acquired or time.monotonic() > deadline:
                yield acquired
                return
        time.sleep(poll_seconds)
