"""The whole DM pipeline with real processes: signed DMs posted to gunicorn at a fixed rate, handled by real
`rundramatiq` workers on Redis with the offline assistant, replies landing at the fake TikTok API; against a
minimal pipeline (store, enqueue, a worker that writes a fixed reply and posts it) in the same run.

    .venv/bin/python bench/pipeline.py [--rates 20] [--seconds 10] [--rounds 2] [--burst 300] [--customers 400]
        [--flood 300] [--flood-others 8] [--bubble-customers 10]
        [--web-workers 2] [--worker-processes 2] [--worker-threads 4] [--database NAME] [--namespace NAME]

Runs on the servers DATABASE_URL and REDIS_URL name. With DATABASE_URL unset it starts a PostgreSQL of its own for
the run (the embedded wheel's, loading pg_stat_statements; bench/measure.py), removed at the end; with REDIS_URL
unset, the project's embedded Redis, started if need be and stopped at the end if this bench started it. Creates its
own database (--database, default philia_bench_pipeline), migrates and seeds it (the demo stock), and drops it at
the end (unless --keep). Uses that Redis under its own Dramatiq namespace (--namespace), whose keys it deletes at
the end. Starts gunicorn (bench/pipeline_settings.py: the shop plus the baseline's endpoint) and `manage.py
rundramatiq`, and runs the fake TikTok API (testing/tiktok.py) in this process; stops what it started.

Each phase posts DMs from --customers customers (a 20-message conversation each, in turn) and waits for every
reply. The time of a DM is from the moment this bench starts its POST to the moment its reply reaches the fake
TikTok API (same clock). Phases: a warm-up of each pipeline; for each of --rates, --rounds rounds of --seconds of
DMs at that rate through each (the order alternates, so other load on the machine hits both alike); then
--burst-rounds bursts of --burst DMs posted as fast as 8 clients can, alternating in the same way, whose replies per
second are the most the pipeline sustains (the bursts go on through the conversation, so they mix its messages). For the burst it
prints, per DM, the CPU of every process of the stack, the SQL round trips and the Redis commands (and where they
go; bench/measure.py says how they are counted); then the flood and bubbles cases against the shop
(bench/pipeline_cases.py). The shop's send limit (TIKTOK_SENDS_PER_SECOND, 10 by default) is raised to
--sends-per-second for the bench (1000, above anything the stack sustains here): at its default it caps replies at
10 a second whatever else is fast, and at 100 the burst measured the limit, not the pipeline (the baseline has no
limit). The workers run with dramatiq_worker_timeout=--worker-timeout-ms (50, as docs/production.md's set-up; Dramatiq's own
1000 lets an idle consumer sleep up to a second between polls, and each DM waits for two of them).
Prints the connection budget (gunicorn workers x threads + worker processes x threads against PostgreSQL's
max_connections, and the most this run's database had open). Goals: the shop's p50 under 100 ms at 20 DMs/s, its
replies per second in the burst at least 0.6 of the baseline's, the others' p99 during a flood at most 2 s. Exits
non-zero when one is missed or a DM got no reply.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402 (after the path)
    BenchShop,
    add_database_options,
    percentile,
    running_bench_shop,
)
from bench.measure import MONITOR_ROLE, Meter, listening_pid, prepare_statements, statements_server  # noqa: E402
from bench.pipeline_cases import add_case_options, bubbles, flood  # noqa: E402
from bench.pipeline_phases import ConnectionSampler, Outcome, Pipelines, report  # noqa: E402

BENCH_DB = "philia_bench_pipeline"
NAMESPACE = "philia-bench-pipeline"
GOAL_RATE = 20.0
WORKER_TIMEOUT_MS = 50
GOAL_P50_MS = 100.0
GOAL_BURST_RATIO = 0.6  # the shop's replies per second in the burst, against the baseline's


def parse_options() -> tuple[argparse.Namespace, list[float]]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default=str(int(GOAL_RATE)), help="DMs per second to post at, comma-separated")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long each fixed-rate round posts")
    parser.add_argument(
        "--rounds", type=int, default=2, help="alternating rounds of each pipeline per rate (load hits both alike)"
    )
    parser.add_argument(
        "--burst", type=int, default=300, help="DMs posted at once to find the sustained rate (0: none)"
    )
    parser.add_argument(
        "--burst-rounds",
        type=int,
        default=3,
        help="bursts of each pipeline, alternating which goes first; the figures add them up (one burst of the "
        "baseline lasts about 2 s, so one alone is at the mercy of whatever else the machine does then)",
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
    parser.add_argument(
        "--sends-per-second",
        type=int,
        default=1000,
        help="TIKTOK_SENDS_PER_SECOND for the run (keep it above the burst's rate)",
    )
    parser.add_argument("--drain-seconds", type=float, default=60.0, help="most a phase waits for its last replies")
    parser.add_argument(
        "--max-seconds", type=float, default=600.0, help="no new round or burst starts after this many seconds"
    )
    add_case_options(parser)
    add_database_options(parser, database=BENCH_DB, namespace=NAMESPACE)
    options = parser.parse_args()
    try:
        rates = [float(part) for part in options.rates.split(",")]
    except ValueError:
        parser.error(f"--rates must be numbers separated by commas, not {options.rates!r}")
    if any(rate <= 0 for rate in rates) or options.seconds <= 0 or options.customers < 1 or options.burst < 0:
        parser.error("--rates, --seconds and --customers must be positive and --burst at least 0")
    if min(options.flood, options.flood_others, options.bubble_customers) < 0:
        parser.error("--flood, --flood-others and --bubble-customers must be at least 0")
    if options.rounds < 1 or options.burst_rounds < 1:
        parser.error("--rounds and --burst-rounds must be at least 1")
    if min(options.web_workers, options.worker_processes, options.worker_threads, options.sends_per_second) < 1:
        parser.error("--web-workers, --worker-processes, --worker-threads and --sends-per-second must be at least 1")
    if options.worker_timeout_ms < 1:
        parser.error("--worker-timeout-ms must be at least 1")
    return options, rates


def main() -> int:
    options, rates = parse_options()
    worker_log = tempfile.NamedTemporaryFile(prefix="bench-pipeline-worker-", suffix=".log", delete=False)
    with (
        statements_server(),
        running_bench_shop(options, settings_module="bench.pipeline_settings", worker_log=worker_log) as shop,
    ):
        os.environ.update(shop.env)
        goal_met = run(options, rates, shop)
        if goal_met:
            os.unlink(worker_log.name)
        else:
            print(f"(the workers' log, kept: {worker_log.name})")
    return 0 if goal_met else 1


def run(options: argparse.Namespace, rates: list[float], shop: BenchShop) -> bool:
    import psycopg
    import redis

    bench_url, fake = shop.database_url, shop.fake
    unavailable = prepare_statements(bench_url)
    monitor = psycopg.connect(bench_url, autocommit=True)
    if unavailable is None:
        monitor.execute(f"SET ROLE {MONITOR_ROLE}")
    else:
        print(f"SQL round trips unavailable: {unavailable}")
    max_connections = int(monitor.execute("SHOW max_connections").fetchall()[0][0])
    in_use_at_start = monitor.execute("SELECT count(*) FROM pg_stat_activity").fetchall()[0][0]
    sampler = ConnectionSampler(bench_url, role=MONITOR_ROLE if unavailable is None else None).start()
    pipelines = Pipelines(options, port=shop.port, fake=fake, monitor=monitor)
    deadline = time.monotonic() + options.max_seconds
    redis_client = redis.Redis.from_url(os.environ["REDIS_URL"])
    meter = Meter(pids=stack_pids(shop), monitor=monitor if unavailable is None else None, redis_client=redis_client)

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
        warm = pipelines.phase(name, f"warm-{name}", 40, rate=10.0, clients=4)
        if warm.unanswered:
            raise SystemExit(f"warm-up: {warm.unanswered} of 40 DMs to the {name} pipeline got no reply")
    print_idle(meter)
    results = run_phases(pipelines, options, rates, deadline=deadline, meter=meter)
    print_results(pipelines, options, rates, results)
    cases_met = run_cases(pipelines, options, deadline=deadline)
    sampler.stop()
    print(f"\nmost connections this run's database had open: {sampler.peak} (budget {budget})")
    monitor.close()
    redis_client.close()
    return judge(results) and cases_met


def print_idle(meter: Meter, seconds: float = 2.0) -> None:
    """What the stack spends a second with nothing to do (the workers polling Redis): part of every per-DM figure."""
    meter.start()
    time.sleep(seconds)
    idle = meter.stop(dms=1)
    sql = "unavailable" if idle.statements is None else f"{sum(idle.statements.values()) / seconds:.0f}"
    commands = ", ".join(f"{name} {calls / seconds:.0f}" for name, calls in sorted(idle.redis_calls.items()))
    print(
        f"idle stack per second: CPU {idle.cpu_seconds * 1000 / seconds:.1f} ms, SQL round trips {sql}, "
        f"Redis commands {sum(idle.redis_calls.values()) / seconds:.0f} ({commands})"
    )


def stack_pids(shop: BenchShop) -> list[int]:
    """The roots of the stack's process trees: gunicorn, rundramatiq, and the PostgreSQL and Redis servers when
    they run on this machine (said when not: their CPU is then left out)."""
    pids = list(shop.pids)
    for name, url in (("PostgreSQL", shop.database_url), ("Redis", os.environ["REDIS_URL"])):
        pid = listening_pid(url)
        if pid is None:
            print(f"{name}'s server is not a process of this machine that the bench can see: its CPU is left out")
        else:
            pids.append(pid)
    return pids


def run_cases(pipelines: Pipelines, options: argparse.Namespace, *, deadline: float) -> bool:
    """The flood and bubbles cases against the shop; False when the flood's goal is missed or a DM is unanswered."""
    goal_met, missing = True, 0
    if options.flood and time.monotonic() < deadline:
        goal_met, missing = flood(pipelines, options)
    if options.bubble_customers and time.monotonic() < deadline:
        missing += bubbles(pipelines, options)
    elif options.flood or options.bubble_customers:
        print("--max-seconds reached: not every case ran")
    return goal_met and not missing


def run_phases(
    pipelines: Pipelines, options: argparse.Namespace, rates: list[float], *, deadline: float, meter: Meter
) -> dict[tuple[str, str], Outcome]:
    """--rounds rounds of each pipeline at each of --rates (alternating which goes first), then the burst, measured
    with `meter`; by (rate or "burst", pipeline)."""
    results: dict[tuple[str, str], Outcome] = {}
    flip = 0
    for step, rate in enumerate(rates):
        count = max(1, int(rate * options.seconds))
        for round_number in range(options.rounds):
            if time.monotonic() >= deadline:
                print(f"--max-seconds reached: stopped before round {round_number + 1} at {rate:g} DMs/s")
                break
            for name in ("shop", "baseline") if flip % 2 == 0 else ("baseline", "shop"):
                one = pipelines.phase(name, f"r{step}-{round_number}-{name}", count, rate=rate, clients=8)
                total = results.setdefault((f"{rate:g}/s", name), Outcome(name=name, tag=""))
                total.merge(one)
            flip += 1
    if options.burst and time.monotonic() >= deadline:
        print("--max-seconds reached: no burst")
    elif options.burst:
        for round_number in range(options.burst_rounds):
            for name in ("shop", "baseline") if flip % 2 == 0 else ("baseline", "shop"):
                one = pipelines.phase(
                    name, f"burst{round_number}-{name}", options.burst, rate=None, clients=8, meter=meter
                )
                total = results.setdefault(("burst", name), Outcome(name=name, tag=""))
                total.merge(one)
            flip += 1
    return results


def print_results(
    pipelines: Pipelines, options: argparse.Namespace, rates: list[float], results: dict[tuple[str, str], Outcome]
) -> None:
    labels = {"shop": "shop (webhook + assistant + outbox)", "baseline": "baseline (store, fixed reply)"}
    keys = [f"{rate:g}/s" for rate in rates]
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
        stages = pipelines.stage_medians(keys.index(key), shop)
        if stages:
            print("  where the shop's time goes (p50 ms): " + ", ".join(f"{name} {ms:.1f}" for name, ms in stages))
        base = results[(key, "baseline")]
        if shop.latencies_ms and base.latencies_ms:
            print(
                f"  ratio shop/baseline p50: {statistics.median(shop.latencies_ms) / statistics.median(base.latencies_ms):.1f}x"
            )
    if ("burst", "baseline") in results:
        print(
            f"\n{options.burst_rounds} bursts of {options.burst} DMs from 8 clients at once, each pipeline in turn "
            "(replies per second = what is sustained; the figures are over every burst)"
        )
        for name in ("shop", "baseline"):
            report(labels[name], results[("burst", name)])
        shop, base = results[("burst", "shop")], results[("burst", "baseline")]
        if base.replies_per_second:
            print(f"  ratio shop/baseline replies per second: {shop.replies_per_second / base.replies_per_second:.2f}")
        for name in ("shop", "baseline"):
            usage = results[("burst", name)].usage
            if usage is not None:
                print(usage.line(name))
                print("\n".join(usage.details()))


def judge(results: dict[tuple[str, str], Outcome]) -> bool:
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
    if ("burst", "baseline") in results and results[("burst", "baseline")].replies_per_second:
        ratio = results[("burst", "shop")].replies_per_second / results[("burst", "baseline")].replies_per_second
        burst_met = ratio >= GOAL_BURST_RATIO
        print(
            f"goal: shop/baseline replies per second in the burst >= {GOAL_BURST_RATIO:g} -> {ratio:.2f}, "
            f"{'met' if burst_met else 'NOT met'}"
        )
        goal_met = goal_met and burst_met
    if unanswered:
        print(f"{unanswered} DMs were not accepted or got no reply")
    return goal_met and not unanswered


if __name__ == "__main__":
    raise SystemExit(main())
