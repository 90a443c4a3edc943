"""The locks and rates the channel keeps in Redis (django_dramatiq's rate limiter backend's client), each one or two
commands: a conversation's mutex on a short lease, and each send's slot, shared between customers. Keys carry the
broker's namespace so shops or test runs sharing one Redis never share a limit."""

import logging
import math
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django_dramatiq.apps import DjangoDramatiqConfig

logger = logging.getLogger(__name__)

TOKEN_REFRESH_MUTEX_TTL_MS = 60_000

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
# A send's slot. KEYS: the customer's next slot, the shop's; ARGV: the customer interval, the shop interval, what
# the caller booked already (0: nothing, 1: its customer's slot). Times in ms on Redis' clock. Returns {wait, booked}:
# with the customer's slot not come yet, only it is booked ({wait, 1}: come back then); else the shop's next slot
# too ({wait, 2}: send after `wait`). So the shop's slots go to sends in the order their customers' slots come.
_BOOK_SEND = """
local parts = redis.call('TIME')
local now = parts[1] * 1000 + math.floor(parts[2] / 1000)
if ARGV[3] == '0' then
  local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
  local interval = tonumber(ARGV[1])
  redis.call('SET', KEYS[1], slot + interval, 'PX', slot + interval - now + 1000)
  if slot > now then return {slot - now, 1} end
end
local slot = math.max(now, tonumber(redis.call('GET', KEYS[2]) or '0'))
local interval = tonumber(ARGV[2])
redis.call('SET', KEYS[2], slot + interval, 'PX', slot + interval - now + 1000)
return {slot - now, 2}
"""

_scripts: dict[tuple[int, str], Any] = {}  # by client and source: EVALSHA once loaded


def _client() -> Any:
    return DjangoDramatiqConfig.get_rate_limiter_backend().client


def _script(client: Any, source: str) -> Any:
    key = (id(client), source)
    if key not in _scripts:
        _scripts[key] = client.register_script(source)
    return _scripts[key]


def _key(name: str) -> str:
    namespace = settings.DRAMATIQ_BROKER.get("OPTIONS", {}).get("namespace", "philia")
    return f"{namespace}:{name}"


class Lease:
    """A mutex in Redis held on a lease of `ttl` ms: taken with one SET NX PX (a token of its own as the value),
    given back with one compare-and-delete, renewed with one compare-and-PEXPIRE (`renewed_while_held`). A holder
    that dies frees it when the lease runs out; a holder whose lease ran out and was taken by another never
    touches the other's."""

    def __init__(self, key: str, *, ttl: int) -> None:
        self.key = key
        self.ttl = ttl
        self.client = _client()
        self.token = ""

    def take(self) -> bool:
        token = uuid.uuid4().hex
        if not self.client.set(self.key, token, nx=True, px=self.ttl):
            return False
        self.token = token
        return True

    def release(self) -> None:
        if self.token:
            _script(self.client, _RELEASE)(keys=[self.key], args=[self.token])
            self.token = ""

    def renew(self) -> bool:
        return bool(self.token) and bool(_script(self.client, _RENEW)(keys=[self.key], args=[self.token, self.ttl]))

    @contextmanager
    def acquire(self, *, raise_on_failure: bool = False) -> Iterator[bool]:
        """Whether it was taken (held for the block, given back after it, even on an error)."""
        taken = self.take()
        if not taken and raise_on_failure:
            raise RuntimeError(f"{self.key} is held elsewhere")
        try:
            yield taken
        finally:
            if taken:
                self.release()


def conversation_mutex(conversation_id: str) -> Lease:
    """One worker at a time per TikTok conversation, so its messages are handled in order. Held on a short
    lease (CONVERSATION_LEASE_SECONDS) that the holder renews while it works (`renewed_while_held`): a
    worker that dies frees the conversation within the lease, not after the longest job could last."""
    return Lease(_key(f"tiktok-conversation:{conversation_id}"), ttl=max(1, settings.CONVERSATION_LEASE_SECONDS) * 1000)


@contextmanager
def renewed_while_held(lease: Lease) -> Iterator[None]:
    """Renew `lease` every third of its ttl until the block ends, from the process's one renewing thread (a thread
    per job would cost every DM's job a thread's start). A renewal that fails (Redis down) is tried again at the
    next tick: the lease is then as long as Redis keeps it."""
    _renewer.hold(lease)
    try:
        yield
    finally:
        _renewer.let_go(lease)


class _Renewer:
    """The process's leases held in `renewed_while_held` blocks, and the daemon thread that renews each a third of
    its ttl after it was taken or last renewed (started with the first, left waiting when none is held). A lease
    held while the thread sleeps wakes it only when it is due before the thread would wake anyway: leases of one
    ttl come due in the order they were taken, so a DM's job does not wake the thread."""

    def __init__(self) -> None:
        self._due: dict[Lease, float] = {}  # lease -> when to renew it (time.monotonic())
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._wakes_at = -math.inf  # when the sleeping thread wakes; -inf while it is awake (it looks again)

    def hold(self, lease: Lease) -> None:
        with self._changed:
            due = time.monotonic() + lease.ttl / 3000
            self._due[lease] = due
            if self._thread is None or not self._thread.is_alive():  # a fork leaves no thread behind
                self._wakes_at = -math.inf
                self._thread = threading.Thread(target=self._run, name="lease-renewer", daemon=True)
                self._thread.start()
            elif due < self._wakes_at:
                self._changed.notify()

    def let_go(self, lease: Lease) -> None:
        with self._changed:
            self._due.pop(lease, None)

    def _run(self) -> None:
        while True:
            with self._changed:
                now = time.monotonic()
                due = [lease for lease, at in self._due.items() if at <= now]
                for lease in due:
                    self._due[lease] = now + lease.ttl / 3000
            for lease in due:
                try:
                    lease.renew()
                except Exception:
                    logger.warning("lease not renewed", extra={"key": lease.key}, exc_info=True)
            with self._changed:  # looked at again under the lock: a lease held meanwhile is in `_due`
                now = time.monotonic()
                soonest = min(self._due.values(), default=now + 60)
                if soonest > now:
                    self._wakes_at = soonest
                    self._changed.wait(timeout=soonest - now)
                    self._wakes_at = -math.inf


_renewer = _Renewer()


def token_refresh_mutex() -> Lease:
    """The refresh token rotates on use: two refreshes at once would leave one of them with a dead token."""
    return Lease(_key("tiktok-token-refresh"), ttl=TOKEN_REFRESH_MUTEX_TTL_MS)


def customer_send_interval_ms() -> int:
    """The least time between two sends to one customer: a customer may take half the shop's sends a second
    (TIKTOK_SENDS_PER_SECOND), so one with many replies waiting leaves the other half to everyone else."""
    per_customer = max(1, settings.TIKTOK_SENDS_PER_SECOND // 2)
    return max(1, 1000 // per_customer)


def shop_send_interval_ms() -> int:
    """The least time between two of the shop's sends: TIKTOK_SENDS_PER_SECOND, paced."""
    return max(1, 1000 // max(1, settings.TIKTOK_SENDS_PER_SECOND))


@dataclass(frozen=True)
class SendSlot:
    wait_ms: int  # how long until the slot booked, from `booked_at`
    booked: int  # 1: only the customer's slot (book the shop's when it comes); 2: both, send when it comes
    booked_at: float = field(default_factory=time.monotonic)

    def wait(self) -> None:
        """Sleep until the slot has come (at once if it has)."""
        time.sleep(max(0.0, self.booked_at + self.wait_ms / 1000 - time.monotonic()))


def book_send(customer_id: str | None, *, booked: int = 0) -> SendSlot:
    """Book a send's slot, across all workers, in one command: the customer's next slot (unless `booked` says it
    is booked already, or the send has no customer: jobs queued before sends were shared), then, once that has
    come, the shop's next. A customer who had no send in the last customer interval, in a shop with a free slot,
    waits for nothing; the sends of one with many waiting are spaced a customer interval apart, each told its own
    wait, so they wait once off the queue and never churn, and anyone else's send takes the next shop slot. Redis
    unreachable: no wait (sends go as fast as TikTok takes them; TikTok's 40100 is retried with backoff)."""
    customer_key = _key(f"tiktok-customer-send:{customer_id or '-'}")
    arguments = [customer_send_interval_ms(), shop_send_interval_ms(), 1 if customer_id is None else booked]
    try:
        wait, stage = _script(_client(), _BOOK_SEND)(keys=[customer_key, _key("tiktok-sends")], args=arguments)
    except Exception:
        logger.warning("send slot not booked", extra={"customer": customer_id}, exc_info=True)
        return SendSlot(wait_ms=0, booked=2)
    return SendSlot(wait_ms=int(wait), booked=int(stage))


@contextmanager
def acquire_within(limiter: Lease, *, seconds: float, poll_seconds: float = 0.05) -> Iterator[bool]:
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
