"""Dramatiq rate limiters the channel uses, on django_dramatiq's backend (Redis in production, the
in-process stub on the embedded default). Keys carry the broker's namespace so shops or test runs
sharing one Redis never share a limit."""

import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django_dramatiq.apps import DjangoDramatiqConfig
from dramatiq.rate_limits import ConcurrentRateLimiter, RateLimiter, WindowRateLimiter

# A conversation's mutex outlives the longest legitimate holder (handle_event's time limit) by a
# margin, and expires on its own if a worker dies holding it.
CONVERSATION_MUTEX_TTL_MS = 330_000
TOKEN_REFRESH_MUTEX_TTL_MS = 60_000


def _key(name: str) -> str:
    namespace = settings.DRAMATIQ_BROKER.get("OPTIONS", {}).get("namespace", "philia")
    return f"{namespace}:{name}"


def conversation_mutex(conversation_id: str) -> ConcurrentRateLimiter:
    """One worker at a time per TikTok conversation, so its messages are handled in order."""
    return ConcurrentRateLimiter(
        DjangoDramatiqConfig.get_rate_limiter_backend(),
        _key(f"tiktok-conversation:{conversation_id}"),
        limit=1,
        ttl=CONVERSATION_MUTEX_TTL_MS,
    )


def send_rate_limiter() -> WindowRateLimiter:
    """Shop-wide: at most TIKTOK_SENDS_PER_SECOND sends in any one-second window, across all workers."""
    return WindowRateLimiter(
        DjangoDramatiqConfig.get_rate_limiter_backend(),
        _key("tiktok-sends"),
        limit=max(1, settings.TIKTOK_SENDS_PER_SECOND),
        window=1,
    )


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
