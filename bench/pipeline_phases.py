"""The pipeline bench's phases: signed DMs posted to one pipeline (the shop's webhook or the baseline's
endpoint) at a fixed rate or all at once, and the time each waits for its reply at the fake TikTok API
(bench/pipeline.py runs them and prints what they found)."""

import argparse
import http.client
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.assistant import CONVERSATION
from bench.common import percentile, post_delivery, run_threads, signed_dm
from bench.measure import Meter, Usage

# The shop's DM in steps: POST started -> event row stored -> reply row written (queue wait, conversation mutex,
# the assistant) -> send started (the second job's queue wait, the send limit) -> reply at TikTok.
STAGES = ("POST to stored", "stored to reply written", "written to send started", "send started to TikTok")
PATHS = {"shop": "/webhooks/tiktok", "baseline": "/bench/pipeline-baseline"}


@dataclass
class Outcome:
    name: str  # "shop" or "baseline"
    tag: str  # this phase's part of its DM ids
    posted: list[tuple[str, float]] = field(default_factory=list)  # (DM id, unix time the POST started)
    post_ms: list[float] = field(default_factory=list)
    lateness_ms: list[float] = field(default_factory=list)  # how far behind its schedule each POST started
    failed_posts: int = 0
    replied_at: dict[str, float] = field(default_factory=dict)  # DM id -> unix time its reply reached TikTok
    post_seconds: float = 0.0
    spans: list[float] = field(default_factory=list)  # seconds from first POST to last reply, per round
    usage: Usage | None = None  # what the stack spent, for a measured phase

    def merge(self, other: "Outcome") -> None:
        """Add another round of the same pipeline in the same phase (its posting time and its usage add up)."""
        self.posted.extend(other.posted)
        self.post_ms.extend(other.post_ms)
        self.lateness_ms.extend(other.lateness_ms)
        self.failed_posts += other.failed_posts
        self.replied_at.update(other.replied_at)
        self.spans.extend(other.spans)
        if other.usage is not None:
            self.usage = other.usage if self.usage is None else self.usage.plus(other.usage)

    @property
    def latencies_ms(self) -> list[float]:
        return [(self.replied_at[dm] - sent) * 1000 for dm, sent in self.posted if dm in self.replied_at]

    @property
    def unanswered(self) -> int:
        return sum(1 for dm, _ in self.posted if dm not in self.replied_at)

    def close(self) -> None:
        """End of a round: its span, from its first POST to its last reply."""
        if self.replied_at and self.posted:
            self.spans.append(max(self.replied_at.values()) - min(sent for _, sent in self.posted))

    @property
    def replies_per_second(self) -> float:
        seconds = sum(self.spans)
        return len(self.replied_at) / seconds if seconds > 0 else 0.0


class Pipelines:
    """The two pipelines of one bench run: where their DMs go (gunicorn on `port`), where the replies land
    (`fake`), and `monitor`, a connection to the run's database to read the shop's rows."""

    def __init__(self, options: argparse.Namespace, *, port: int, fake, monitor) -> None:
        self.options = options
        self.port = port
        self.fake = fake
        self.monitor = monitor
        self.run_id = str(time.time_ns())
        self.sequence = 0

    def deliveries(self, count: int, tag: str) -> list[tuple[str, bytes, dict[str, str]]]:
        """Signed DMs, each a new message; DM n of the run comes from customer n mod --customers."""
        batch = []
        now = int(time.time())
        for _ in range(count):
            number = self.sequence
            self.sequence += 1
            customer = number % self.options.customers
            text = CONVERSATION[(number // self.options.customers) % len(CONVERSATION)]
            dm_id = f"pipe-{self.run_id}-{tag}-{number}"
            body, headers = signed_dm(text=text, username=f"pipe_customer_{customer}", message_id=dm_id, signed_at=now)
            batch.append((dm_id, body, headers))
        return batch

    def post(self, outcome: Outcome, batch, *, rate: float | None, clients: int) -> None:
        """POST the batch to the pipeline: each at its slot (`rate` a second) or, without a rate, back to back."""
        lock = threading.Lock()
        indexes = iter(range(len(batch)))
        start = time.monotonic() + 0.2

        def client() -> None:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            while True:
                with lock:
                    index = next(indexes, None)
                if index is None:
                    break
                lateness = _wait_for_slot(start, index, rate)
                dm_id, body, headers = batch[index]
                sent_at = time.time()
                began = time.perf_counter()
                ok = post_delivery(connection, PATHS[outcome.name], body, headers)
                with lock:
                    outcome.post_ms.append((time.perf_counter() - began) * 1000)
                    outcome.lateness_ms.append(lateness)
                    if ok:
                        outcome.posted.append((dm_id, sent_at))
                    else:
                        outcome.failed_posts += 1
            connection.close()

        began = time.monotonic()
        run_threads([client] * clients)
        outcome.post_seconds = time.monotonic() - began

    def collect(self, outcome: Outcome) -> None:
        """Fill `replied_at` with what has reached the fake TikTok API so far."""
        arrivals = self.fake.calls()
        if outcome.name == "baseline":
            for request in arrivals:
                text = ((request.json or {}).get("text") or {}).get("body", "")
                if request.answered_code == 0 and text.endswith("]") and f"[pipe-{self.run_id}-{outcome.tag}-" in text:
                    dm_id = text.rsplit("[", 1)[1][:-1]
                    outcome.replied_at.setdefault(dm_id, request.at)
            return
        # The shop's replies: the DM's inbound row, the outbound row answering it, and when that send reached TikTok.
        sent_ids = self.monitor.execute(
            "SELECT i.tiktok_message_id, o.tiktok_message_id FROM conversations_message o "
            "JOIN conversations_message i ON o.in_reply_to_id = i.id "
            "WHERE o.direction = 'outbound' AND o.state = 'sent' AND i.tiktok_message_id LIKE %s",
            (f"pipe-{self.run_id}-{outcome.tag}-%",),
        ).fetchall()
        arrivals_at = self.arrivals()
        for dm_id, tiktok_id in sent_ids:
            at = arrivals_at(tiktok_id)
            if at is not None:
                known = outcome.replied_at.get(dm_id)
                outcome.replied_at[dm_id] = at if known is None else min(known, at)

    def arrivals(self) -> Callable[[str | None], float | None]:
        """A function of a send's TikTok id to when it reached the fake (None when it did not): the fake calls a
        send "fake-sent-N", N its N-th request in the order it records them."""
        requests_by_number = {index + 1: request for index, request in enumerate(list(self.fake.requests))}

        def arrived_at(tiktok_id: str | None) -> float | None:
            request = requests_by_number.get(int(tiktok_id.rsplit("-", 1)[1])) if tiktok_id else None
            return None if request is None else request.at

        return arrived_at

    def phase(
        self, name: str, tag: str, count: int, *, rate: float | None, clients: int, meter: Meter | None = None
    ) -> Outcome:
        """Post `count` DMs to pipeline `name` and wait for their replies; with `meter`, what the stack spent from
        just before the first POST to the last reply, in `usage`."""
        outcome = Outcome(name=name, tag=tag)
        batch = self.deliveries(count, tag)
        sends_before = len(self.fake.calls())
        if meter is not None:
            meter.start()
        self.post(outcome, batch, rate=rate, clients=clients)
        self.drain(outcome, sends_before=sends_before)
        if meter is not None:
            outcome.usage = meter.stop(dms=len(outcome.posted))
        outcome.close()
        return outcome

    def drain(self, outcome: Outcome, *, sends_before: int) -> None:
        """Wait for the replies to `outcome`'s DMs: up to --drain-seconds without a new send to the fake (every
        round is drained; --max-seconds only stops new rounds). The rows are read only once the fake has taken
        as many sends as there are DMs, so the bench's own queries stay out of a measured phase's CPU."""
        last_progress, seen = time.monotonic(), -1
        while time.monotonic() - last_progress < self.options.drain_seconds:
            sends = len(self.fake.calls()) - sends_before
            if sends >= len(outcome.posted):
                self.collect(outcome)
                if len(outcome.replied_at) >= len(outcome.posted):
                    break
            if sends != seen:
                seen, last_progress = sends, time.monotonic()
            time.sleep(0.02 if sends < len(outcome.posted) else 0.2)

    def stage_medians(self, step: int, shop: Outcome) -> list[tuple[str, float]]:
        """The medians of each step of the shop's DMs at one rate (the `step`-th of --rates), from the rows' own
        times (same clock)."""
        rows = self.monitor.execute(
            "SELECT i.tiktok_message_id, extract(epoch FROM e.received_at), extract(epoch FROM o.created_at), "
            "extract(epoch FROM o.sending_started_at) FROM conversations_message o "
            "JOIN conversations_message i ON o.in_reply_to_id = i.id "
            "JOIN tiktok_webhookevent e ON e.tiktok_message_id = i.tiktok_message_id "
            "WHERE o.direction = 'outbound' AND o.state = 'sent' AND i.tiktok_message_id LIKE %s",
            (f"pipe-{self.run_id}-r{step}-%-shop-%",),
        ).fetchall()
        posted = dict(shop.posted)
        steps: dict[str, list[float]] = {name: [] for name in STAGES}
        for dm_id, received, written, sending in rows:
            if dm_id not in posted or dm_id not in shop.replied_at or sending is None:
                continue
            points = [posted[dm_id], float(received), float(written), float(sending), shop.replied_at[dm_id]]
            for name, begin, end in zip(STAGES, points, points[1:], strict=False):
                steps[name].append((end - begin) * 1000)
        return [(name, statistics.median(values)) for name, values in steps.items() if values]


def _wait_for_slot(start: float, index: int, rate: float | None) -> float:
    """Sleep until DM `index`'s slot (none without a rate); how late it starts, in ms."""
    if rate is None:
        return 0.0
    due = start + index / rate
    wait = due - time.monotonic()
    if wait > 0:
        time.sleep(wait)
    return max(0.0, time.monotonic() - due) * 1000


def report(label: str, outcome: Outcome) -> None:
    latencies = outcome.latencies_ms
    if not latencies:
        print(f"  {label:34} no replies ({len(outcome.posted)} posted, {outcome.failed_posts} failed posts)")
        return
    print(
        f"  {label:34} {outcome.replies_per_second:6.1f} replies/s   DM to reply p50 {statistics.median(latencies):7.1f} ms"
        f"  p99 {percentile(latencies, 0.99):7.1f} ms   POST p50 {statistics.median(outcome.post_ms):5.1f} ms   "
        f"({len(outcome.posted)} DMs, {outcome.unanswered} unanswered, {outcome.failed_posts} failed posts)"
    )


class ConnectionSampler:
    """The most connections the run's database has open (less the bench's own two), sampled every 0.25 s in a
    thread until `stop`, as `role` when given (the bench's monitoring role)."""

    def __init__(self, database_url: str, *, role: str | None = None) -> None:
        self.database_url = database_url
        self.role = role
        self.peak = 0
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def start(self) -> "ConnectionSampler":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)

    def _sample(self) -> None:
        import psycopg

        database = self.database_url.rsplit("/", 1)[1]
        with psycopg.connect(self.database_url, autocommit=True) as sampler:
            if self.role:
                sampler.execute(f"SET ROLE {self.role}")
            while not self._stopped.is_set():
                count = sampler.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (database,))
                self.peak = max(self.peak, count.fetchall()[0][0] - 2)  # not the bench's own two
                self._stopped.wait(0.25)
