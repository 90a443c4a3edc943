"""Webhook intake under gunicorn: POST /webhooks/tiktok against a baseline that only inserts a row and
enqueues, in the same run, against PostgreSQL and Redis.

    .venv/bin/python bench/intake.py [--requests 800] [--rounds 10] [--clients 8] [--workers 4]

Uses the database DATABASE_URL names, or (unset) philia_bench on the project's embedded PostgreSQL: created if
missing and then dropped at the end, else only this bench's rows are deleted. Uses the Redis REDIS_URL names, or
(unset) the embedded one, with its own Dramatiq namespace (--namespace, default philia-bench), whose keys it
deletes at the end. Embedded servers this bench started are stopped at the end. No worker runs: the jobs just
queue up. Prints requests per second and p50/p99 latency of each, and the ratio. Goal: >= 0.8 of the baseline,
webhook p99 under 50 ms at 8 concurrent clients.
"""

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402 (after the path)
    BUSINESS_ID,
    SECRET,
    bench_database_url,
    database_name,
    drop_database,
    flush_namespace,
    free_port,
    maintenance_url,
    percentile,
    run_threads,
    signed_dm,
    start_gunicorn,
    stop,
    use_servers,
)

NAMESPACE = "philia-bench"
BENCH_DB = "philia_bench"


def bench_environment(*, database_url: str, namespace: str = NAMESPACE) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="bench.intake_settings",
        DRAMATIQ_NAMESPACE=namespace,
        TIKTOK_APP_SECRET=SECRET,
        TIKTOK_BUSINESS_ID=BUSINESS_ID,
        DEBUG="false",
        SECURE_SSL_REDIRECT="false",
        LOG_LEVEL="WARNING",
        SECRET_KEY="bench-only-not-secret",
        # No scheduler runs during the bench: /health (waited on at start) must not call the sweeps late.
        SWEEPS_LATE_AFTER_SECONDS="31536000",
        PYTHONPATH=str(ROOT),
    )
    return env


def ensure_database(url: str) -> bool:
    """Create the database if missing; True when this run created it (and so drops it at the end)."""
    import psycopg

    name = database_name(url)
    with psycopg.connect(maintenance_url(url), autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')
    return not exists


def prepared_deliveries(count: int, run: str) -> list[tuple[bytes, dict[str, str]]]:
    """Signed im_receive_msg deliveries, each a new message (so each is stored, not a duplicate)."""
    now = int(time.time())
    return [
        signed_dm(
            text="hi! is the 90s Nike windbreaker in L still available?",
            username=f"bench_user_{number % 50}",
            message_id=f"bench-{run}-{number}",
            signed_at=now,
        )
        for number in range(count)
    ]


def drive(
    url: str, deliveries: list[tuple[bytes, dict[str, str]]], clients: int, max_seconds: float
) -> tuple[list[float], float, int]:
    """POST every delivery from `clients` threads; return latencies (s), wall time (s), non-200 count."""
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    next_index = iter(range(len(deliveries)))
    deadline = time.monotonic() + max_seconds

    parts = urlsplit(url)
    if parts.hostname is None:
        raise ValueError(f"{url} names no host")
    host = parts.hostname

    def client() -> None:
        nonlocal failures
        # http.client with keep-alive: a light client leaves the (shared) CPU to the server being measured.
        connection = http.client.HTTPConnection(host, parts.port, timeout=10)
        mine: list[float] = []
        bad = 0
        while time.monotonic() < deadline:
            with lock:
                index = next(next_index, None)
            if index is None:
                break
            body, headers = deliveries[index]
            started = time.perf_counter()
            try:
                connection.request("POST", parts.path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                # A dropped connection or a timeout counts as a failure (not a silently missing sample).
                bad += 1
                connection.close()
                continue
            mine.append(time.perf_counter() - started)
            if response.status != 200:
                bad += 1
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
        connection.close()
        with lock:
            latencies.extend(mine)
            failures += bad

    started = time.perf_counter()
    run_threads([client] * clients)
    return latencies, time.perf_counter() - started, failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=800, help="requests per endpoint per round")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker (1: sync workers)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=10,
        help="alternating rounds of each endpoint (short rounds: background load hits both alike)",
    )
    parser.add_argument("--max-seconds", type=float, default=60.0, help="cap per endpoint per round")
    parser.add_argument(
        "--namespace",
        default=NAMESPACE,
        help="Dramatiq namespace of this run, emptied at the end (default %(default)s)",
    )
    options = parser.parse_args()

    named = os.environ.get("DATABASE_URL")  # the database to bench on, when given
    use_servers()
    env = bench_environment(database_url=named or bench_database_url(BENCH_DB), namespace=options.namespace)
    os.environ.update(env)
    created = ensure_database(env["DATABASE_URL"])
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    port = free_port()
    server = start_gunicorn(env, port, options.workers, options.threads)
    results: dict[str, dict[str, list]] = {"baseline": {"lat": [], "wall": []}, "webhook": {"lat": [], "wall": []}}
    failures = {"baseline": 0, "webhook": 0}
    try:
        urls = {
            "baseline": f"http://127.0.0.1:{port}/bench/baseline",
            "webhook": f"http://127.0.0.1:{port}/webhooks/tiktok",
        }
        warm = prepared_deliveries(200, f"warm-{time.time_ns()}")
        for name in ("baseline", "webhook"):
            drive(urls[name], warm, options.clients, 30)
        for round_number in range(options.rounds):
            for name in ("baseline", "webhook") if round_number % 2 == 0 else ("webhook", "baseline"):
                deliveries = prepared_deliveries(options.requests, f"{name}-{round_number}-{time.time_ns()}")
                latencies, wall, bad = drive(urls[name], deliveries, options.clients, options.max_seconds)
                results[name]["lat"].extend(latencies)
                results[name]["wall"].append((len(latencies), wall))
                failures[name] += bad
    finally:
        stop(server)
        cleanup(env, drop=created, namespace=options.namespace)

    return 0 if report(options, results, failures) else 1


def report(options: argparse.Namespace, results: dict[str, dict[str, list]], failures: dict[str, int]) -> bool:
    """Print both endpoints' figures and the goal; True when it is met and nothing failed."""
    summary = {}
    for name, data in results.items():
        count = sum(n for n, _ in data["wall"])
        seconds = sum(w for _, w in data["wall"])
        summary[name] = {
            "rps": count / seconds,
            "p50": percentile(data["lat"], 0.50) * 1000,
            "p99": percentile(data["lat"], 0.99) * 1000,
            "mean": statistics.fmean(data["lat"]) * 1000,
            "count": count,
        }
    print(f"gunicorn {options.workers} workers x {options.threads} threads, {options.clients} concurrent clients, "
          f"{options.rounds} rounds of {options.requests} requests per endpoint")  # fmt: skip
    for name, label in (("baseline", "baseline (insert + enqueue)"), ("webhook", "POST /webhooks/tiktok")):
        row = summary[name]
        print(f"{label:30} {row['rps']:8.0f} req/s   p50 {row['p50']:6.2f} ms   p99 {row['p99']:6.2f} ms   "
              f"({row['count']} requests, {failures[name]} failed or non-200)")  # fmt: skip
    ratio = summary["webhook"]["rps"] / summary["baseline"]["rps"]
    goal = ratio >= 0.8 and summary["webhook"]["p99"] < 50
    print(f"ratio webhook/baseline: {ratio:.2f}   goal (>= 0.80 and p99 < 50 ms): {'met' if goal else 'NOT met'}")
    return goal and not any(failures.values())


def cleanup(env: dict[str, str], *, drop: bool, namespace: str) -> None:
    """Empty this bench's queues (its namespace only); drop the database if this run created it, else
    delete this bench's rows."""
    import django

    django.setup()
    from django.db import connections

    from assistant import tasks  # noqa: F401 (declares handle_event's queue)
    from philia.jobs import redis_broker
    from tiktok.models import WebhookEvent

    broker = redis_broker()
    broker.flush_all()
    # flush_all empties the queues but leaves the workers' heartbeat key; the namespace is this bench's alone.
    flush_namespace(broker.client, namespace)
    if drop:
        connections.close_all()
        drop_database(env["DATABASE_URL"])
        return
    WebhookEvent.objects.filter(dedupe_key__startswith="message:bench-").delete()
    WebhookEvent.objects.filter(event="bench_baseline").delete()


if __name__ == "__main__":
    raise SystemExit(main())
