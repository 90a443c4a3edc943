"""The whole DM pipeline with real processes: signed DMs posted to gunicorn at a fixed rate, handled by real
`rundramatiq` workers on Redis with the offline assistant, replies landing at the fake TikTok API; against a
minimal pipeline (store, enqueue, a worker that writes a fixed reply and posts it) in the same run.

    .venv/bin/python bench/pipeline.py [--rates 20] [--seconds 10] [--rounds 2] [--burst 300] [--customers 400]
        [--web-workers 2] [--worker-processes 2] [--worker-threads 4] [--database NAME] [--namespace NAME]

Runs on the servers DATABASE_URL and REDIS_URL name, or (unset) on the project's embedded PostgreSQL and Redis,
started if need be and stopped at the end if this bench started them. Creates its own database (--database, default
philia_bench_pipeline, on that PostgreSQL), migrates and seeds it (the demo stock), and drops it at the end (unless
--keep). Uses that Redis under its own Dramatiq namespace (--namespace), whose keys it deletes at the end. Starts
gunicorn (bench/pipeline_settings.py: the shop plus the baseline's endpoint) and `manage.py rundramatiq`, and runs
the fake TikTok API (testing/tiktok.py) in this process; stops what it started.

Each phase posts DMs from --customers customers (a 20-message conversation each, in turn) and waits for every
reply. The time of a DM is from the moment this bench starts its POST to the moment its reply reaches the fake
TikTok API (same clock). Phases: a warm-up of each pipeline; for each of --rates, --rounds rounds of --seconds of
DMs at that rate through each (the order alternates, so other load on the machine hits both alike); then --burst DMs posted as fast as 8 clients can, whose replies per second
are the most the pipeline sustains. The shop's send limit (TIKTOK_SENDS_PER_SECOND, 10 by default) is raised to
--sends-per-second for the bench: at its default it caps replies at 10 a second whatever else is fast. The
workers run with dramatiq_worker_timeout=--worker-timeout-ms (50, as docs/production.md's set-up; Dramatiq's own
1000 lets an idle consumer sleep up to a second between polls, and each DM waits for two of them).
Prints the connection budget (gunicorn workers x threads + worker processes x threads against PostgreSQL's
max_connections, and the most this run's database had open). Goal: the shop's p50 under 100 ms at 20 DMs/s.
Exits non-zero when it is missed or a DM got no reply.
"""

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.assistant import CONVERSATION  # noqa: E402 (after the path)
from bench.common import (  # noqa: E402
    bench_database_url,
    drop_database,
    flush_namespace,
    free_port,
    percentile,
    recreate_database,
    shop_env,
    start_gunicorn,
    start_worker,
    stop,
    use_servers,
)

BENCH_DB = "philia_bench_pipeline"
NAMESPACE = "philia-bench-pipeline"
SECRET = "bench-app-secret"
BUSINESS_ID = "bench-business"
ACCESS_TOKEN = "bench-access-token"
# The shop's DM in steps: POST started -> event row stored -> reply row written (queue wait, conversation mutex,
# the assistant) -> send started (the second job's queue wait, the send limit) -> reply at TikTok.
STAGES = ("POST to stored", "stored to reply written", "written to send started", "send started to TikTok")
GOAL_RATE = 20.0
WORKER_TIMEOUT_MS = 50
GOAL_P50_MS = 100.0


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

    def merge(self, other: "Outcome") -> None:
        """Add another round of the same pipeline at the same rate (its posting time adds up)."""
        self.posted.extend(other.posted)
        self.post_ms.extend(other.post_ms)
        self.lateness_ms.extend(other.lateness_ms)
        self.failed_posts += other.failed_posts
        self.replied_at.update(other.replied_at)
        self.spans.extend(other.spans)

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default=str(int(GOAL_RATE)), help="DMs per second to post at, comma-separated")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long each fixed-rate round posts")
    parser.add_argument(
        "--rounds", type=int, default=2, help="alternating rounds of each pipeline per rate (load hits both alike)"
    )
    parser.add_argument(
        "--burst", type=int, default=300, help="DMs posted at once to find the sustained rate (0: none)"
    )
    parser.add_argument("--customers", type=int, default=400, help="customers the DMs come from, in turn")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes (sync)")
    parser.add_argument("--worker-processes", type=int, default=2, help="rundramatiq --processes")
    parser.add_argument("--worker-threads", type=int, default=4, help="rundramatiq --threads")
    parser.add_argument(
        "--worker-timeout-ms",
        type=int,
        default=WORKER_TIMEOUT_MS,
        help="dramatiq_worker_timeout of the workers: the longest an idle consumer sleeps between polls of Redis "
        "(Dramatiq's own default is 1000; docs/production.md's set-up uses %(default)s)",
    )
    parser.add_argument("--sends-per-second", type=int, default=100, help="TIKTOK_SENDS_PER_SECOND for the run")
    parser.add_argument("--drain-seconds", type=float, default=60.0, help="most a phase waits for its last replies")
    parser.add_argument(
        "--max-seconds", type=float, default=600.0, help="no new round or burst starts after this many seconds"
    )
    parser.add_argument("--database", default=BENCH_DB, help="database to create and drop (default %(default)s)")
    parser.add_argument(
        "--namespace", default=NAMESPACE, help="Dramatiq namespace, emptied at the end (default %(default)s)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    options = parser.parse_args()
    try:
        rates = [float(part) for part in options.rates.split(",")]
    except ValueError:
        parser.error(f"--rates must be numbers separated by commas, not {options.rates!r}")
    if any(rate <= 0 for rate in rates) or options.seconds <= 0 or options.customers < 1 or options.burst < 0:
        parser.error("--rates, --seconds and --customers must be positive and --burst at least 0")
    if options.rounds < 1:
        parser.error("--rounds must be at least 1")
    if min(options.web_workers, options.worker_processes, options.worker_threads, options.sends_per_second) < 1:
        parser.error("--web-workers, --worker-processes, --worker-threads and --sends-per-second must be at least 1")
    if options.worker_timeout_ms < 1:
        parser.error("--worker-timeout-ms must be at least 1")

    from testing.tiktok import FakeTikTok

    use_servers()
    bench_url = bench_database_url(options.database)
    redis_url = os.environ["REDIS_URL"]
    recreate_database(bench_url)
    fake = FakeTikTok().start()
    env = shop_env(
        database_url=bench_url,
        redis_url=redis_url,
        namespace=options.namespace,
        settings_module="bench.pipeline_settings",
        tiktok_api_base=fake.base_url,
        secret=SECRET,
        business_id=BUSINESS_ID,
        access_token=ACCESS_TOKEN,
        sends_per_second=options.sends_per_second,
        worker_timeout_ms=options.worker_timeout_ms,
    )
    os.environ.update(env)
    worker_log = tempfile.NamedTemporaryFile(prefix="bench-pipeline-worker-", suffix=".log", delete=False)
    processes: list[subprocess.Popen] = []
    try:
        for command in (["migrate", "--no-input", "-v", "0"], ["seed"]):
            subprocess.run(
                [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
            )
        port = free_port()
        processes.append(start_gunicorn(env, port, options.web_workers, 1))
        processes.append(start_worker(env, options.worker_processes, options.worker_threads, log=worker_log))
        goal_met = run(options, rates, bench_url, port, fake)
        if goal_met:
            os.unlink(worker_log.name)
        else:
            print(f"(the workers' log, kept: {worker_log.name})")
    finally:
        for process in reversed(processes):
            stop(process)
        fake.stop()
        cleanup(redis_url, options.namespace)
        if not options.keep:
            drop_database(bench_url)
    return 0 if goal_met else 1


def run(options: argparse.Namespace, rates: list[float], bench_url: str, port: int, fake) -> bool:
    import psycopg

    from tiktok.signatures import signature_header
    from tiktok.simulation import customer_message_content, envelope_body

    monitor = psycopg.connect(bench_url, autocommit=True)
    database = bench_url.rsplit("/", 1)[1]
    max_connections = int(monitor.execute("SHOW max_connections").fetchone()[0])
    in_use_at_start = monitor.execute("SELECT count(*) FROM pg_stat_activity").fetchone()[0]
    peak = {"connections": 0}
    sampling = threading.Event()

    def sample_connections() -> None:
        with psycopg.connect(bench_url, autocommit=True) as sampler:
            while not sampling.is_set():
                count = sampler.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (database,))
                peak["connections"] = max(peak["connections"], count.fetchone()[0] - 2)  # not the bench's own two
                sampling.wait(0.25)

    sampler = threading.Thread(target=sample_connections, daemon=True)
    sampler.start()
    run_id = str(time.time_ns())
    sequence = {"number": 0}
    paths = {"shop": "/webhooks/tiktok", "baseline": "/bench/pipeline-baseline"}
    deadline = time.monotonic() + options.max_seconds

    def deliveries(count: int, tag: str) -> list[tuple[str, bytes, dict[str, str]]]:
        """Signed DMs, each a new message; DM n of the run comes from customer n mod --customers."""
        batch = []
        now = int(time.time())
        for _ in range(count):
            number = sequence["number"]
            sequence["number"] += 1
            customer = number % options.customers
            text = CONVERSATION[(number // options.customers) % len(CONVERSATION)]
            dm_id = f"pipe-{run_id}-{tag}-{number}"
            content = customer_message_content(
                text=text, username=f"pipe_customer_{customer}", business_id=BUSINESS_ID, message_id=dm_id
            )
            body = envelope_body(event="im_receive_msg", content=content, business_id=BUSINESS_ID)
            headers = {
                "Content-Type": "application/json",
                "TikTok-Signature": signature_header(body=body, secret=SECRET, timestamp=now),
            }
            batch.append((dm_id, body, headers))
        return batch

    def post(outcome: Outcome, batch, *, rate: float | None, clients: int) -> None:
        """POST the batch to the pipeline: each at its slot (`rate` a second) or, without a rate, back to back."""
        lock = threading.Lock()
        indexes = iter(range(len(batch)))
        start = time.monotonic() + 0.2

        def client() -> None:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            while True:
                with lock:
                    index = next(indexes, None)
                if index is None:
                    break
                if rate is not None:
                    due = start + index / rate
                    wait = due - time.monotonic()
                    if wait > 0:
                        time.sleep(wait)
                    lateness = max(0.0, time.monotonic() - due) * 1000
                else:
                    lateness = 0.0
                dm_id, body, headers = batch[index]
                sent_at = time.time()
                began = time.perf_counter()
                try:
                    connection.request("POST", paths[outcome.name], body=body, headers=headers)
                    response = connection.getresponse()
                    response.read()
                    ok = response.status == 200
                    if response.getheader("Connection", "").lower() == "close":
                        connection.close()
                except (OSError, http.client.HTTPException):
                    ok = False
                    connection.close()
                with lock:
                    outcome.post_ms.append((time.perf_counter() - began) * 1000)
                    outcome.lateness_ms.append(lateness)
                    if ok:
                        outcome.posted.append((dm_id, sent_at))
                    else:
                        outcome.failed_posts += 1
            connection.close()

        threads = [threading.Thread(target=client) for _ in range(clients)]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        outcome.post_seconds = time.monotonic() - began

    def collect(outcome: Outcome) -> None:
        """Fill `replied_at` with what has reached the fake TikTok API so far."""
        arrivals = fake.calls()
        if outcome.name == "baseline":
            for request in arrivals:
                text = ((request.json or {}).get("text") or {}).get("body", "")
                if request.answered_code == 0 and text.endswith("]") and f"[pipe-{run_id}-{outcome.tag}-" in text:
                    dm_id = text.rsplit("[", 1)[1][:-1]
                    outcome.replied_at.setdefault(dm_id, request.at)
            return
        # The shop's replies: the DM's inbound row, the outbound row answering it, and the TikTok id that the
        # fake gave that send ("fake-sent-N": the fake's N-th request, counted in the order it records them).
        sent_ids = monitor.execute(
            "SELECT i.tiktok_message_id, o.tiktok_message_id FROM conversations_message o "
            "JOIN conversations_message i ON o.in_reply_to_id = i.id "
            "WHERE o.direction = 'outbound' AND o.state = 'sent' AND i.tiktok_message_id LIKE %s",
            (f"pipe-{run_id}-{outcome.tag}-%",),
        ).fetchall()
        requests_by_number = {index + 1: request for index, request in enumerate(list(fake.requests))}
        for dm_id, tiktok_id in sent_ids:
            request = requests_by_number.get(int(tiktok_id.rsplit("-", 1)[1])) if tiktok_id else None
            if request is not None:
                at = outcome.replied_at.get(dm_id)
                outcome.replied_at[dm_id] = request.at if at is None else min(at, request.at)

    def phase(name: str, tag: str, count: int, *, rate: float | None, clients: int) -> Outcome:
        outcome = Outcome(name=name, tag=tag)
        post(outcome, deliveries(count, tag), rate=rate, clients=clients)
        last_progress, seen = time.monotonic(), -1
        # Every round is drained (up to --drain-seconds without a new reply); --max-seconds only stops new rounds.
        while time.monotonic() - last_progress < options.drain_seconds:
            collect(outcome)
            if len(outcome.replied_at) >= len(outcome.posted):
                break
            if len(outcome.replied_at) != seen:
                seen, last_progress = len(outcome.replied_at), time.monotonic()
            time.sleep(0.2)
        outcome.close()
        return outcome

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

    web, processes, threads = options.web_workers, options.worker_processes, options.worker_threads
    budget = web + processes * threads
    print(
        f"connection budget: gunicorn {web} workers x 1 thread + rundramatiq {processes} processes x {threads} threads "
        f"= {budget} connections against PostgreSQL's max_connections {max_connections} "
        f"({in_use_at_start} in use on the server at the start, by everyone)"
    )
    print(
        f"offline assistant, fake TikTok at {fake.base_url}, TIKTOK_SENDS_PER_SECOND={options.sends_per_second}, "
        f"dramatiq_worker_timeout={options.worker_timeout_ms} ms, {options.customers} customers"
    )

    # Warm-up: imports, connections, the first queries of each process; not measured.
    for name in ("shop", "baseline"):
        warm = phase(name, f"warm-{name}", 40, rate=10.0, clients=4)
        if warm.unanswered:
            raise SystemExit(f"warm-up: {warm.unanswered} of 40 DMs to the {name} pipeline got no reply")

    results: dict[tuple[str, str], Outcome] = {}
    flip = 0
    for step, rate in enumerate(rates):
        count = max(1, int(rate * options.seconds))
        for round_number in range(options.rounds):
            if time.monotonic() >= deadline:
                print(f"--max-seconds reached: stopped before round {round_number + 1} at {rate:g} DMs/s")
                break
            for name in ("shop", "baseline") if flip % 2 == 0 else ("baseline", "shop"):
                one = phase(name, f"r{step}-{round_number}-{name}", count, rate=rate, clients=8)
                total = results.setdefault((f"{rate:g}/s", name), Outcome(name=name, tag=""))
                total.merge(one)
            flip += 1
    if options.burst and time.monotonic() >= deadline:
        print("--max-seconds reached: no burst")
    elif options.burst:
        for name in ("shop", "baseline") if flip % 2 == 0 else ("baseline", "shop"):
            results[("burst", name)] = phase(name, f"burst-{name}", options.burst, rate=None, clients=8)
    sampling.set()
    sampler.join(timeout=5)

    def stage_medians(key: str, shop: Outcome) -> list[tuple[str, float]]:
        """The medians of each step of the shop's DMs at one rate, from the rows' own times (same clock)."""
        step = [f"{rate:g}/s" for rate in rates].index(key)
        rows = monitor.execute(
            "SELECT i.tiktok_message_id, extract(epoch FROM e.received_at), extract(epoch FROM o.created_at), "
            "extract(epoch FROM o.sending_started_at) FROM conversations_message o "
            "JOIN conversations_message i ON o.in_reply_to_id = i.id "
            "JOIN tiktok_webhookevent e ON e.tiktok_message_id = i.tiktok_message_id "
            "WHERE o.direction = 'outbound' AND o.state = 'sent' AND i.tiktok_message_id LIKE %s",
            (f"pipe-{run_id}-r{step}-%-shop-%",),
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

    labels = {"shop": "shop (webhook + assistant + outbox)", "baseline": "baseline (store, fixed reply)"}
    for rate in rates:
        key = f"{rate:g}/s"
        if (key, "baseline") not in results:
            continue
        shop = results[(key, "shop")]
        print(
            f"\n{rate:g} DMs/s, {options.rounds} rounds of {options.seconds:g} s each (POSTs behind schedule: p99 "
            f"{percentile(shop.lateness_ms, 0.99):.0f} ms)"
        )
        for name in ("shop", "baseline"):
            report(labels[name], results[(key, name)])
        stages = stage_medians(key, shop)
        if stages:
            print("  where the shop's time goes (p50 ms): " + ", ".join(f"{name} {ms:.1f}" for name, ms in stages))
        base = results[(key, "baseline")]
        if shop.latencies_ms and base.latencies_ms:
            print(
                f"  ratio shop/baseline p50: {statistics.median(shop.latencies_ms) / statistics.median(base.latencies_ms):.1f}x"
            )
    if ("burst", "baseline") in results:
        print(f"\nburst of {options.burst} DMs from 8 clients at once (replies per second = what is sustained)")
        for name in ("shop", "baseline"):
            report(labels[name], results[("burst", name)])
        shop, base = results[("burst", "shop")], results[("burst", "baseline")]
        if base.replies_per_second:
            print(f"  ratio shop/baseline replies per second: {shop.replies_per_second / base.replies_per_second:.2f}")
    print(f"\nmost connections this run's database had open: {peak['connections']} (budget {budget})")
    monitor.close()

    unanswered = sum(outcome.unanswered + outcome.failed_posts for outcome in results.values())
    goal_key = (f"{GOAL_RATE:g}/s", "shop")
    if goal_key in results and results[goal_key].latencies_ms:
        p50 = statistics.median(results[goal_key].latencies_ms)
        goal_met = p50 < GOAL_P50_MS
        print(
            f"goal: shop p50 < {GOAL_P50_MS:g} ms at {GOAL_RATE:g} DMs/s -> {p50:.1f} ms, {'met' if goal_met else 'NOT met'}"
        )
    else:
        goal_met = True
        print(f"goal: not measured (no {GOAL_RATE:g} DMs/s phase in --rates)")
    if unanswered:
        print(f"{unanswered} DMs were not accepted or got no reply")
    return goal_met and not unanswered


def cleanup(redis_url: str, namespace: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    flush_namespace(client, namespace)
    client.close()


if __name__ == "__main__":
    raise SystemExit(main())
