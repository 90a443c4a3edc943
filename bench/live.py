"""A live stream with real processes: --pieces pieces brought on screen one after another over --seconds, and
--claims claim DMs ("mine!", "sold", "me!", ...) from --customers customers, each piece's claims posted within
--burst-seconds after its Next, signed, through gunicorn and `rundramatiq` on PostgreSQL and Redis; against the
same number of plain DMs, posted on the same schedule by as many other customers through the same shop, in the
same run, as the baseline.

    .venv/bin/python bench/live.py [--pieces 20] [--customers 300] [--claims 600] [--seconds 60] [--burst 150]
        [--burst-seconds 1] [--clients 16] [--web-workers 2] [--worker-processes 2] [--worker-threads 4]
        [--database NAME] [--namespace NAME]
    quick look: .venv/bin/python bench/live.py --pieces 4 --customers 60 --claims 120 --burst 30 --seconds 12

The claims come in bursts: every piece's claims are posted within --burst-seconds after its Next; the hot pieces
(claims / (2 x --burst) of them, spread over the stream) each draw a burst of --burst claims, the other pieces
share the rest. Customers take turns (no customer claims two pieces in a row). Each claim carries a known TikTok
timestamp between the Next and its POST (written earlier, delivered later), so the earliest writer is often not
the first to arrive. The bench plays the owner's phone: it calls `live.services.next_piece` in this process on
the bench's database at each piece's time.

Runs on the servers DATABASE_URL and REDIS_URL name, or (unset) on the project's embedded PostgreSQL and Redis.
Creates its own database (--database, default philia_bench_live), drops it at the end (unless --keep), uses
its own Dramatiq namespace (--namespace, emptied at the end), and stops the processes it started
(bench/common.py). The time of a DM is from the moment this bench starts its POST to the moment its answer reaches
the fake TikTok API (same clock). Checks: every claim answered exactly once (its piece named in the answer);
every piece won by the earliest TikTok timestamp among its claims; every plain DM answered once. Goal: claim
answer p99 at most 1.5x the plain DMs' p99. Exits non-zero when a check or the goal fails.
"""

import argparse
import os
import queue
import random
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402 (after the path)
    add_database_options,
    percentile,
    post_delivery,
    run_threads,
    running_bench_shop,
    signed_dm,
)

BENCH_DB = "philia_bench_live"
NAMESPACE = "philia-bench-live"
GOAL_RATIO = 1.5
PLAIN_TEXT = "got any nike jackets in L?"
CLAIM_WORDS = ["mine!", "sold", "claim", "me!", "I'll take it", "MINE!!!", "mine"]


def parse_options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pieces", type=int, default=20, help="pieces brought on screen, one Next each")
    parser.add_argument("--customers", type=int, default=300, help="customers claiming (and in the baseline)")
    parser.add_argument("--claims", type=int, default=600, help="claim DMs in all (and plain DMs in the baseline)")
    parser.add_argument("--seconds", type=float, default=60.0, help="the stream's length: a Next every seconds/pieces")
    parser.add_argument("--burst", type=int, default=150, help="claims of a hot piece, posted in one burst")
    parser.add_argument("--burst-seconds", type=float, default=1.0, help="a piece's claims come within this of Next")
    parser.add_argument("--clients", type=int, default=16, help="HTTP clients posting at once")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes (sync)")
    parser.add_argument("--worker-processes", type=int, default=2, help="rundramatiq --processes")
    parser.add_argument("--worker-threads", type=int, default=4, help="rundramatiq --threads")
    parser.add_argument("--worker-timeout-ms", type=int, default=50, help="dramatiq_worker_timeout of the workers")
    parser.add_argument("--sends-per-second", type=int, default=100, help="TIKTOK_SENDS_PER_SECOND for the run")
    parser.add_argument("--settle-seconds", type=float, default=2.0, help="LIVE_SETTLE_SECONDS for the run")
    parser.add_argument("--drain-seconds", type=float, default=60.0, help="most a phase waits without a new answer")
    parser.add_argument("--seed", type=int, default=7, help="seed of the claimants, times and words")
    add_database_options(parser, database=BENCH_DB, namespace=NAMESPACE)
    options = parser.parse_args()
    if options.pieces < 1 or options.claims < options.pieces or not 1 <= options.burst <= options.customers:
        parser.error("--pieces must be at least 1, --claims at least --pieces, --burst from 1 to --customers")
    if max(claims_per_piece(options)) > options.customers:
        parser.error("a piece would need more claimants than --customers: more --pieces or --customers")
    if min(options.seconds, options.burst_seconds, options.settle_seconds, options.drain_seconds) <= 0:
        parser.error("--seconds, --burst-seconds, --settle-seconds and --drain-seconds must be positive")
    if min(options.clients, options.web_workers, options.worker_processes, options.worker_threads) < 1:
        parser.error("--clients, --web-workers, --worker-processes and --worker-threads must be at least 1")
    return options


def claims_per_piece(options: argparse.Namespace) -> list[int]:
    """How many claims each piece draws: the hot ones --burst, spread over the stream; the others the rest."""
    hot = min(options.claims // (2 * options.burst), options.pieces - 1)
    hot_lots = {index * options.pieces // hot + options.pieces // (2 * hot) for index in range(hot)} if hot else set()
    rest, others = options.claims - options.burst * len(hot_lots), options.pieces - len(hot_lots)
    base, extra = divmod(rest, others)
    counts, other = [], 0
    for index in range(options.pieces):
        if index in hot_lots:
            counts.append(options.burst)
        else:
            counts.append(base + (1 if other < extra else 0))
            other += 1
    return counts


@dataclass(frozen=True)
class Claim:
    customer: int  # index of the customer (the same index in the baseline names another customer)
    post_after: float  # seconds after the Next
    written_after_ms: int  # TikTok timestamp, milliseconds after the piece came on screen
    text: str


@dataclass(frozen=True)
class Piece:
    lot: int
    sku: str
    name: str
    claims: list[Claim]

    def earliest(self, prefix: str) -> int:
        """The customer whose claim wins: the earliest TikTok time, a tie to the smaller message id."""
        return min(self.claims, key=lambda c: (c.written_after_ms, message_id(prefix, c.customer, self.lot))).customer


def message_id(prefix: str, customer: int, lot: int) -> str:
    return f"m-{prefix}-{customer:04d}-{lot:03d}"


def plan(options: argparse.Namespace) -> list[Piece]:
    """The stream: each piece's claimants (customers in turn), when each claim is posted and written."""
    rng = random.Random(options.seed)
    width = len(str(options.pieces))
    pieces, turn = [], 0
    for index, count in enumerate(claims_per_piece(options)):
        claims = []
        for post_after in sorted(rng.uniform(0.02, options.burst_seconds) for _ in range(count)):
            written = max(1, int(post_after * 1000 * rng.random()))
            claims.append(Claim(turn % options.customers, post_after, written, rng.choice(CLAIM_WORDS)))
            turn += 1
        lot = index + 1
        pieces.append(Piece(lot, f"VNT-LIVE-{lot:0{width}d}", f"Live Bench Piece No{lot:0{width}d} Jacket", claims))
    return pieces


def username(prefix: str, customer: int) -> str:
    return f"{prefix}_{customer:04d}"


@dataclass
class Poster:
    """Client threads POSTing signed DMs to the shop, each at its time; what was started when, what failed."""

    port: int
    clients: int
    started: dict[tuple[str, int], float] = field(default_factory=dict)
    failed: int = 0
    _queue: queue.Queue = field(default_factory=queue.Queue)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _thread: threading.Thread | None = None

    def start(self) -> "Poster":
        self._thread = threading.Thread(target=run_threads, args=([self._client] * self.clients,))
        self._thread.start()
        return self

    def put(self, key: tuple[str, int], at: float, body: bytes, headers: dict[str, str]) -> None:
        self._queue.put((key, at, body, headers))

    def finish(self) -> None:
        for _ in range(self.clients):
            self._queue.put(None)
        assert self._thread is not None
        self._thread.join()

    def _client(self) -> None:
        import http.client

        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        while (job := self._queue.get()) is not None:
            key, at, body, headers = job
            if (wait := at - time.time()) > 0:
                time.sleep(wait)
            began = time.time()
            accepted = post_delivery(connection, "/webhooks/tiktok", body, headers)
            with self._lock:
                if accepted:
                    self.started[key] = began
                else:
                    self.failed += 1
        connection.close()


@dataclass
class Phase:
    """A phase's DMs, keyed (customer's username, lot): when each POST started, the answers' times."""

    label: str
    started: dict[tuple[str, int], float]
    answers: dict[tuple[str, int], list[float]]
    failed: int
    extra: int  # answers to these customers that match no DM


def post_stream(options: argparse.Namespace, port: int, pieces: list[Piece], *, prefix: str, show) -> Poster:
    """Post every piece's DMs on the stream's schedule; `show(piece)` runs at the piece's time (the Next) and
    returns the millisecond it came on screen. Claims use the claim words, the baseline (prefix "plain") a question."""
    poster = Poster(port, options.clients).start()
    period = options.seconds / options.pieces
    begin = time.time() + 0.5
    for piece in pieces:
        if (wait := begin + (piece.lot - 1) * period - time.time()) > 0:
            time.sleep(wait)
        shown_ms = show(piece)
        shown_at = time.time()
        for claim in piece.claims:
            user = username(prefix, claim.customer)
            body, headers = signed_dm(
                text=PLAIN_TEXT if prefix == "plain" else claim.text,
                username=user,
                message_id=message_id(prefix, claim.customer, piece.lot),
                timestamp_ms=shown_ms + claim.written_after_ms,
            )
            poster.put((user, piece.lot), shown_at + claim.post_after, body, headers)
    poster.finish()
    return poster


def collect(fake, poster: Poster, label: str, matcher, drain_seconds: float) -> Phase:
    """Wait for the answers to the posted DMs (until all came, or none for `drain_seconds`), then one more second
    for any second answer. `matcher()` gives a function `match(user, text, at)` that files each answer, in the
    order they reached the fake TikTok API, under a DM's key (None: none)."""
    from tiktok.simulation import conversation_id_for

    users = {conversation_id_for(user): user for user, _ in poster.started}
    last_progress, seen = time.monotonic(), -1
    while True:
        phase, match = Phase(label, poster.started, {}, poster.failed, 0), matcher()
        for request in fake.calls():
            payload = request.json or {}
            user = users.get(str(payload.get("recipient")))
            if request.answered_code == 0 and user is not None:
                key = match(user, (payload.get("text") or {}).get("body", ""), request.at)
                if key is None:
                    phase.extra += 1
                else:
                    phase.answers.setdefault(key, []).append(request.at)
        answered = sum(1 for key in poster.started if key in phase.answers)
        if answered >= len(poster.started) or time.monotonic() - last_progress > drain_seconds:
            if seen != -2:  # once more, a second later: a second answer to anyone would show up now
                time.sleep(1.0)
                seen = -2
                continue
            return phase
        if answered != seen:
            seen, last_progress = answered, time.monotonic()
        time.sleep(0.25)


def match_claim(pieces: list[Piece]):
    """A claim's answer names its piece (won: the name; in line: the piece's line with its SKU)."""

    def match(user: str, text: str, _at: float) -> tuple[str, int] | None:
        lots = [piece.lot for piece in pieces if piece.name in text]
        return (user, lots[0]) if len(lots) == 1 else None

    return match


def match_in_order(started: dict[tuple[str, int], float]):
    """A plain DM's answer: a customer's answers in time order go to their DMs in the order posted."""
    answered: dict[str, int] = {}
    keys: dict[str, list[tuple[str, int]]] = {}
    for key in sorted(started, key=started.__getitem__):
        keys.setdefault(key[0], []).append(key)

    def match(user: str, _text: str, _at: float) -> tuple[str, int] | None:
        index = answered.get(user, 0)
        answered[user] = index + 1
        return keys[user][index] if index < len(keys[user]) else None

    return match


def run_baseline(options: argparse.Namespace, shop, pieces: list[Piece]) -> Phase:
    poster = post_stream(options, shop.port, pieces, prefix="plain", show=lambda _: int(time.time() * 1000))
    return collect(
        shop.fake, poster, "plain DMs (baseline)", lambda: match_in_order(poster.started), options.drain_seconds
    )


def run_live(options: argparse.Namespace, shop, pieces: list[Piece]) -> tuple[Phase, int]:
    """Schedule and start the stream, then Next on each piece's time while its claims are posted."""
    from inventory.services import add_items
    from live import services

    add_items(items=[{"sku": p.sku, "name": p.name, "size_label": "L", "price": "40"} for p in pieces])
    stream = services.schedule_stream(title="Bench live", skus=[piece.sku for piece in pieces])
    services.start_stream(stream_id=stream.pk)

    def show(piece: Piece) -> int:
        shown = services.next_piece(stream_id=stream.pk)
        assert shown.piece.item.sku == piece.sku, f"Next showed {shown.piece.item.sku}, not {piece.sku}"
        return int(shown.span.shown_from.timestamp() * 1000)

    poster = post_stream(options, shop.port, pieces, prefix="fan", show=show)
    phase = collect(shop.fake, poster, "claims (live)", lambda: match_claim(pieces), options.drain_seconds)
    services.end_stream(stream_id=stream.pk)
    return phase, stream.pk


def timings(phase: Phase) -> list[float]:
    return [min(phase.answers[key]) - began for key, began in phase.started.items() if key in phase.answers]


def report(phase: Phase, expected: int) -> list[float]:
    values = timings(phase)
    twice = sum(1 for times in phase.answers.values() if len(times) > 1)
    missing = len(phase.started) - sum(1 for key in phase.started if key in phase.answers)
    counts = f"{len(phase.started)} of {expected} posted, {missing} unanswered, {twice} answered twice, {phase.extra}"
    counts += f" other answers, {phase.failed} failed posts"
    if not values:
        print(f"  {phase.label:22} no answers ({counts})")
        return values
    print(
        f"  {phase.label:22} DM to answer p50 {statistics.median(values):6.2f} s  p99 {percentile(values, 0.99):6.2f}"
        f" s  max {max(values):6.2f} s   ({counts})"
    )
    return values


def check_winners(pieces: list[Piece], stream_id: int, live: Phase) -> bool:
    """Every piece held by its earliest writer; prints where the claims' time went."""
    from live.models import ScreenSpan

    spans = ScreenSpan.objects.filter(stream_id=stream_id).values_list(
        "stream_item__position", "drop_item__winner__username", "drop_item__settled_at"
    )
    rows = {lot: (winner, settled) for lot, winner, settled in spans}
    wrong = [p.lot for p in pieces if rows.get(p.lot, (None,))[0] != username("fan", p.earliest("fan"))]
    for size in sorted({len(piece.claims) for piece in pieces}, reverse=True)[:2]:
        settling, sending = [], []
        for piece in (piece for piece in pieces if len(piece.claims) == size):
            keys = [key for key in live.started if key[1] == piece.lot]
            settled_at = rows.get(piece.lot, (None, None))[1]
            if settled_at is None or not keys:
                continue
            settled = settled_at.timestamp()
            settling.append(settled - min(live.started[key] for key in keys))
            sending.append(max((max(live.answers.get(key, [settled])) for key in keys), default=settled) - settled)
        if settling:
            print(
                f"  pieces of {size} claims: first POST to settled p50 {statistics.median(settling):.2f} s, max "
                f"{max(settling):.2f} s; settled to last answer p50 {statistics.median(sending):.2f} s, max "
                f"{max(sending):.2f} s"
            )
    print(f"check: every piece won by the earliest TikTok timestamp -> {'yes' if not wrong else f'NO (lots {wrong})'}")
    return not wrong


def run(options: argparse.Namespace, shop) -> bool:
    import django

    os.environ.update(shop.env)
    django.setup()
    pieces = plan(options)
    load = os.getloadavg()
    print(
        f"gunicorn {options.web_workers} sync workers, rundramatiq {options.worker_processes} x "
        f"{options.worker_threads}, TIKTOK_SENDS_PER_SECOND={options.sends_per_second}, LIVE_SETTLE_SECONDS="
        f"{options.settle_seconds:g}; {options.pieces} pieces over {options.seconds:g} s, {options.claims} claims "
        f"from {options.customers} customers, per piece {[len(p.claims) for p in pieces]} within "
        f"{options.burst_seconds:g} s of its Next, {options.clients} clients; load average {load[0]:.1f}"
    )
    warm = Poster(shop.port, options.clients).start()
    for n in range(40):
        body, headers = signed_dm(text=PLAIN_TEXT, username=f"warm_{n}", message_id=f"m-warm-{n}")
        warm.put((f"warm_{n}", 0), time.time() + n / 40, body, headers)
    warm.finish()
    collect(shop.fake, warm, "warm-up", lambda: match_in_order(warm.started), options.drain_seconds)
    base = run_baseline(options, shop, pieces)
    live, stream_id = run_live(options, shop, pieces)
    print(f"\n{options.claims} DMs over {options.seconds:g} s, on the live's schedule")
    base_values, live_values = report(base, options.claims), report(live, options.claims)
    answered = judge(options, base=base, live=live, ratio=ratio(base_values, live_values, options.settle_seconds))
    return check_winners(pieces, stream_id, live) and answered


def ratio(base_values: list[float], live_values: list[float], settle_seconds: float) -> float:
    """The goal's ratio (claims' p99 over the plain DMs'); also printed with the settling window taken off every
    claim, which is the wait the rule asks for rather than the shop's work."""
    if not base_values or not live_values:
        return float("inf")
    value = percentile(live_values, 0.99) / percentile(base_values, 0.99)
    median = statistics.median(live_values) / statistics.median(base_values)
    print(f"  ratio claims/plain DMs: p50 {median:.2f}x, p99 {value:.2f}x")
    beyond = [max(0.0, seconds - settle_seconds) for seconds in live_values]
    print(
        f"  claims less the {settle_seconds:g} s settling window: p50 {statistics.median(beyond):.2f} s, p99 "
        f"{percentile(beyond, 0.99):.2f} s; p99 ratio {percentile(beyond, 0.99) / percentile(base_values, 0.99):.2f}x"
    )
    return value


def judge(options: argparse.Namespace, *, base: Phase, live: Phase, ratio: float) -> bool:
    ok = True
    for label, phase in (("claims", live), ("plain DMs", base)):
        once = (
            phase.failed == 0
            and phase.extra == 0
            and len(phase.started) == options.claims
            and all(len(phase.answers.get(key, [])) == 1 for key in phase.started)
        )
        ok &= once
        print(f"check: {label}: every DM answered exactly once -> {'yes' if once else 'NO'}")
    goal = ratio <= GOAL_RATIO
    print(
        f"goal: claim answer p99 <= {GOAL_RATIO:g}x the plain DMs' p99 -> {ratio:.2f}x, {'met' if goal else 'NOT met'}"
    )
    return ok and goal


def main() -> int:
    options = parse_options()
    import tempfile

    worker_log = tempfile.NamedTemporaryFile(prefix="bench-live-worker-", suffix=".log", delete=False)
    with running_bench_shop(
        options,
        settings_module="philia.settings",
        worker_log=worker_log,
        LIVE_SETTLE_SECONDS=str(options.settle_seconds),
    ) as shop:
        try:
            ok = run(options, shop)
        finally:
            from django.db import connections

            connections.close_all()  # before the bench's database is dropped
    if ok:
        os.unlink(worker_log.name)
    else:
        print(f"(the workers' log, kept: {worker_log.name})")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
