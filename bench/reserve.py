"""Holds per second through `inventory.services.reserve_item` on PostgreSQL against the same transaction as
raw SQL with psycopg, in the same run; then one hot item that many buyers want at once.

    .venv/bin/python bench/reserve.py [--buyers 1,4,8] [--holds 200] [--rounds 3] [--mode both]
        [--processes N] [--hot-buyers 50] [--hot-rounds 5] [--max-seconds 60] [--database NAME]
        [--namespace NAME] [--keep]

Runs on the servers DATABASE_URL and REDIS_URL name, or (unset) on the project's embedded PostgreSQL and Redis,
started if need be and stopped at the end if this bench started them. Creates its own database (--database,
default philia_bench_reserve, on that PostgreSQL), migrates it, makes items and customers, and drops it at the end
(unless --keep). No worker runs: the jobs a hold enqueues after its commit (its expiry and reminder) wait in Redis
under the bench's own Dramatiq namespace (--namespace), whose keys it deletes at the end.

Distinct items: each buyer has its own database connection and holds its own items one after the other (each
hold by its own customer, so the hold limit never refuses one). The baseline runs the same transaction by hand
over psycopg: lock the customer row, lock the item row by its SKU (case-insensitive, as `reserve_item` does),
check it is on sale, count the customer's current holds, update the item, commit. The two alternate in short
rounds (other load on the machine hits both alike) and every item is put back on sale between rounds.

Both sides are measured in two concurrency models (--mode both, the default; or only one of them), always the
same number of buyers and one connection per buyer on each side:

- threads: every buyer a thread of this one process. The worst case for Python code: the GIL lets one thread
  run Python at a time, while raw psycopg waits on the server with the GIL released, so this measures how much
  Python each side runs per hold more than how the shop scales.
- processes: every buyer a process of its own (--processes N spreads them over N processes, threads within).
  This is how holds arrive in production: from `rundramatiq` worker processes (docs/production.md: 2 processes x 4
  threads) and gunicorn's sync worker processes, whose Python runs in parallel up to the number of cores. On
  a machine with 2 cores two processes already give each side's Python both cores, as production's do.

The goal -- `reserve_item` at least 0.5 of the raw SQL's holds per second at 8 buyers -- is judged in the
processes model (the one production runs) when it is measured; the threads figures are printed beside it.
Every row also gives the CPU per hold, this process's (or the buyer processes') and the PostgreSQL backends'
(read from /proc when the server runs on this machine), and the statements per hold of each side.

Hot item: --hot-buyers threads, each with its own connection and customer, start together on one SKU;
exactly one may win (checked every round, for both), and the losers' time to their answer is measured.
Exits non-zero when the goal is missed or a hot round has other than one winner.
"""

import argparse
import statistics
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.buyers import Buyer, Phase, measure  # noqa: E402 (after the path)
from bench.common import (  # noqa: E402 (after the path)
    add_database_options,
    django_on_bench_database,
    percentile,
    postgres_major_version,
    run_threads,
)

# The statements of one raw hold (psycopg sends BEGIN and COMMIT itself), for the statements-per-hold line.
RAW_STATEMENTS = ("BEGIN", "lock the customer", "lock the item", "count the holds", "update the item", "COMMIT")
MODES = ("threads", "processes")

BENCH_DB = "philia_bench_reserve"
NAMESPACE = "philia-bench-reserve"
HOLD_HOURS = 24
HOT_SKU = "HOT-0001"

# The raw transaction: what reserve_item does, by hand (autocommit off: psycopg opens the transaction).
LOCK_CUSTOMER = "SELECT tiktok_user_id FROM conversations_customer WHERE tiktok_user_id = %s FOR NO KEY UPDATE"
LOCK_ITEM = (
    "SELECT id, status, held_by_id, held_until FROM inventory_item WHERE UPPER(sku::text) = UPPER(%s) "
    "ORDER BY id FOR NO KEY UPDATE"
)
COUNT_HOLDS = "SELECT COUNT(*) FROM inventory_item WHERE held_by_id = %s AND status = 'reserved' AND held_until > %s"
UPDATE_ITEM = (
    "UPDATE inventory_item SET status = 'reserved', held_by_id = %s, held_until = %s, updated_at = %s WHERE id = %s"
)


class Refused(Exception):
    """The raw transaction's answer when the item is not on sale or the customer is at the limit."""


def raw_reserve(connection, *, sku: str, customer_id: str, limit: int) -> int:
    """Hold `sku` for `customer_id` in one transaction (BEGIN ... COMMIT on an autocommit connection), as
    reserve_item does; the item's id, or Refused."""
    with connection.transaction():
        connection.execute(LOCK_CUSTOMER, (customer_id,))
        row = connection.execute(LOCK_ITEM, (sku,)).fetchone()
        now = datetime.now(UTC)
        if row is None:
            raise Refused("not found")
        item_id, status, held_by_id, held_until = row
        hold_is_current = status == "reserved" and held_until > now
        extends_own_hold = hold_is_current and held_by_id == customer_id
        if status in ("sold", "hidden") or (hold_is_current and not extends_own_hold):
            raise Refused("unavailable")
        if not extends_own_hold and connection.execute(COUNT_HOLDS, (customer_id, now)).fetchone()[0] >= limit:
            raise Refused("limit")
        held_until = now + timedelta(hours=HOLD_HOURS)
        connection.execute(UPDATE_ITEM, (customer_id, held_until, now, item_id))
    return item_id


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--buyers", default="1,4,8", help="concurrent buyers to measure, comma-separated")
    parser.add_argument("--holds", type=int, default=200, help="holds per buyer per round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of each way, per buyer count")
    parser.add_argument(
        "--mode", choices=[*MODES, "both"], default="both", help="buyers as threads, processes or both (default)"
    )
    parser.add_argument(
        "--processes", type=int, default=0, help="in the processes mode, spread the buyers over N processes "
        "(threads within); default one process per buyer",
    )  # fmt: skip
    parser.add_argument("--hot-buyers", type=int, default=50, help="buyers at once on the hot item")
    parser.add_argument("--hot-rounds", type=int, default=5, help="hot-item rounds of each way")
    parser.add_argument("--max-seconds", type=float, default=60.0, help="cap on each measured phase")
    add_database_options(parser, database=BENCH_DB, namespace=NAMESPACE)
    options = parser.parse_args()
    try:
        buyer_counts = [int(part) for part in options.buyers.split(",")]
    except ValueError:
        parser.error(f"--buyers must be whole numbers separated by commas, not {options.buyers!r}")
    if any(count < 1 for count in buyer_counts) or options.holds < 1 or options.rounds < 1:
        parser.error("--buyers, --holds and --rounds must be at least 1")
    if options.processes < 0:
        parser.error("--processes must be 0 (one per buyer) or more")
    if options.hot_buyers < 2 or options.hot_rounds < 1:
        parser.error("--hot-buyers must be at least 2 and --hot-rounds at least 1")

    with django_on_bench_database(options, LOG_LEVEL="WARNING", CONN_MAX_AGE="0") as bench_url:
        goal_met = run(options, bench_url, buyer_counts)
    return 0 if goal_met else 1


def run(options: argparse.Namespace, bench_url: str, buyer_counts: list[int]) -> bool:
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    seed(options, buyer_counts)
    limit = settings.MAX_HOLDS_PER_CUSTOMER
    print_statements_per_hold(bench_url)
    modes = MODES if options.mode == "both" else (options.mode,)
    ratios = measure_distinct_items(options, bench_url, buyer_counts, modes=modes, limit=limit)
    hot_ok = measure_hot_item(options, bench_url, limit=limit)

    goal_buyers = 8 if 8 in buyer_counts else max(buyer_counts)
    judged = "processes" if "processes" in modes else "threads"
    print()
    for mode in modes:
        ratio = ratios[mode, goal_buyers]
        print(
            f"goal: reserve_item >= 0.50 of raw SQL at {goal_buyers} buyers, {mode}: {ratio:.2f}, "
            f"{'met' if ratio >= 0.5 else 'NOT met'}{'' if mode == judged else ' (printed, not judged)'}"
        )
    goal_met = ratios[judged, goal_buyers] >= 0.5
    print(f"hot item: exactly one winner every round -> {'yes' if hot_ok else 'NO'}")
    return goal_met and hot_ok


def seed(options: argparse.Namespace, buyer_counts: list[int]) -> None:
    """An item and a customer for every hold of the largest round, and the hot item with its buyers."""
    from django.db import connection

    from conversations.models import Customer
    from inventory.models import Item

    most = max(buyer_counts)
    slots = most * options.holds
    Customer.objects.bulk_create(
        Customer(tiktok_user_id=f"buyer-{number:06d}", username=f"buyer_{number}") for number in range(slots)
    )
    Customer.objects.bulk_create(
        Customer(tiktok_user_id=f"hot-{number:04d}", username=f"hot_{number}") for number in range(options.hot_buyers)
    )
    Item.objects.bulk_create(
        (Item(sku=f"RSV-{number:06d}", name=f"Bench item {number}", price=25) for number in range(slots)),
        batch_size=5000,
    )
    Item.objects.create(sku=HOT_SKU, name="The one everybody wants", price=90)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"PostgreSQL {postgres_major_version()}, {slots:,} items and customers; {options.holds} holds per buyer "
        f"per round, {options.rounds} rounds of each way per buyer count"
    )


def reset(bench_url: str) -> None:
    """Every item back on sale, and fresh statistics, between rounds."""
    import psycopg

    with psycopg.connect(bench_url, autocommit=True) as admin:
        admin.execute(
            "UPDATE inventory_item SET status = 'available', held_by_id = NULL, held_until = NULL "
            "WHERE status <> 'available'"
        )
        admin.execute("VACUUM ANALYZE inventory_item")


def orm_buyer(buyer: int, *, holds: int) -> Buyer:
    from django.db import connection

    from conversations.models import Customer
    from inventory.services import reserve_item

    customers = [Customer(tiktok_user_id=f"buyer-{buyer * holds + n:06d}") for n in range(holds)]

    def hold(number: int) -> None:
        reserve_item(sku=f"RSV-{buyer * holds + number:06d}", customer=customers[number])

    return Buyer(
        open=lambda: connection.ensure_connection(),
        hold=hold,
        close=lambda: connection.close(),
        backend_pid=lambda: connection.connection.info.backend_pid,
    )


def raw_buyer(buyer: int, *, holds: int, bench_url: str, limit: int) -> Buyer:
    import psycopg

    state: dict = {}

    def open_connection() -> None:
        state["connection"] = psycopg.connect(bench_url, autocommit=True)

    def hold(number: int) -> None:
        slot = buyer * holds + number
        raw_reserve(state["connection"], sku=f"RSV-{slot:06d}", customer_id=f"buyer-{slot:06d}", limit=limit)

    return Buyer(
        open=open_connection,
        hold=hold,
        close=lambda: state["connection"].close(),
        backend_pid=lambda: state["connection"].info.backend_pid,
    )


def print_statements_per_hold(bench_url: str) -> None:
    """What one hold sends, on each side (the ORM's statements as Django runs them; BEGIN and COMMIT included)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from conversations.models import Customer
    from inventory.services import reserve_item

    reset(bench_url)
    with CaptureQueriesContext(connection) as captured:
        reserve_item(sku=f"RSV-{0:06d}", customer=Customer(tiktok_user_id=f"buyer-{0:06d}"))
    statements = [query["sql"].split(" WHERE ")[0][:60] for query in captured.captured_queries]
    print(f"statements per hold: reserve_item {len(statements)}, raw SQL {len(RAW_STATEMENTS)}")
    for statement in statements:
        print(f"  reserve_item: {statement}")


def measure_distinct_items(
    options: argparse.Namespace, bench_url: str, buyer_counts: list[int], *, modes: tuple[str, ...], limit: int
) -> dict[tuple[str, int], float]:
    """Each buyer count in each mode, both ways in alternating rounds; returns reserve_item/raw SQL per
    (mode, buyers)."""
    ratios: dict[tuple[str, int], float] = {}
    ways = {
        "reserve_item": partial(orm_buyer, holds=options.holds),
        "raw SQL": partial(raw_buyer, holds=options.holds, bench_url=bench_url, limit=limit),
    }
    print("\ndistinct items (holds/s over all rounds; ms per hold; CPU ms per hold: the buyers' + PostgreSQL's)")
    for mode in modes:
        if mode == "threads":
            print("threads: every buyer a thread of one process, with its own connection")
        else:
            layout = "one process per buyer" if not options.processes else f"buyers over {options.processes} processes"
            print(f"processes: {layout}, one connection per buyer")
        for buyers in buyer_counts:
            totals = {"reserve_item": Phase(), "raw SQL": Phase()}
            for round_number in range(options.rounds):
                order = ("reserve_item", "raw SQL") if round_number % 2 == 0 else ("raw SQL", "reserve_item")
                for name in order:
                    reset(bench_url)
                    totals[name].add(
                        measure(
                            ways[name],
                            buyers,
                            mode=mode,
                            processes=options.processes or buyers,
                            holds=options.holds,
                            max_seconds=options.max_seconds,
                        )
                    )
            label = f"{buyers} buyer{'s' if buyers > 1 else ' '}"
            for name, phase in totals.items():
                print(
                    f"  {label}  {name:13} {phase.per_second:7.0f} holds/s   "
                    f"p50 {statistics.median(phase.latencies):6.2f} ms  p99 {percentile(phase.latencies, 0.99):6.2f} ms  "
                    f"{phase.cpu_text()}  ({phase.holds} holds)"
                )
            ratios[mode, buyers] = totals["reserve_item"].per_second / totals["raw SQL"].per_second
            print(f"  {label}  ratio reserve_item/raw SQL: {ratios[mode, buyers]:.2f}")
    return ratios


def measure_hot_item(options: argparse.Namespace, bench_url: str, *, limit: int) -> bool:
    """--hot-rounds rounds of each way on HOT_SKU; True when every round had exactly one winner."""
    from inventory.models import Item

    print(f"\nhot item: {options.hot_buyers} buyers at once on one SKU, {options.hot_rounds} rounds of each way")
    hot_ok = True
    for way in ("reserve_item", "raw SQL"):
        winners_per_round: list[int] = []
        losers: list[float] = []
        winner_ms: list[float] = []
        for _ in range(options.hot_rounds):
            winners, won_ms, lost_ms = hot_round(way, options=options, bench_url=bench_url, limit=limit)
            winners_per_round.append(winners)
            winner_ms.extend(won_ms)
            losers.extend(lost_ms)
        held = Item.objects.get(sku=HOT_SKU)
        one_each = all(count == 1 for count in winners_per_round)
        hot_ok = hot_ok and one_each and held.status == Item.Status.RESERVED
        print(
            f"  {way:13} winners per round {winners_per_round} ({'exactly one' if one_each else 'NOT exactly one'}); "
            f"losers' time to answer p50 {statistics.median(losers):6.2f} ms  p99 {percentile(losers, 0.99):6.2f} ms  "
            f"max {max(losers):6.2f} ms; winner's p50 {statistics.median(winner_ms):6.2f} ms"
        )
    return hot_ok


def hot_round(
    way: str, *, options: argparse.Namespace, bench_url: str, limit: int
) -> tuple[int, list[float], list[float]]:
    """(winners, winner's ms, losers' ms) of one round: every buyer asks for HOT_SKU at the same moment."""
    import psycopg
    from django.db import connection

    from conversations.models import Customer
    from inventory.exceptions import ItemUnavailable
    from inventory.services import reserve_item

    hot_customers = [Customer(tiktok_user_id=f"hot-{number:04d}") for number in range(options.hot_buyers)]
    reset(bench_url)
    barrier = threading.Barrier(options.hot_buyers)
    outcomes: list[tuple[bool, float]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def buyer(number: int) -> None:
        raw = None
        try:
            if way == "raw SQL":
                raw = psycopg.connect(bench_url, autocommit=True)
            else:
                connection.ensure_connection()
            barrier.wait()
            begin = time.perf_counter()
            try:
                if raw is not None:
                    raw_reserve(raw, sku=HOT_SKU, customer_id=hot_customers[number].pk, limit=limit)
                else:
                    reserve_item(sku=HOT_SKU, customer=hot_customers[number])
                won = True
            except (ItemUnavailable, Refused):
                won = False
            with lock:
                outcomes.append((won, (time.perf_counter() - begin) * 1000))
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()
        finally:
            if raw is not None:
                raw.close()
            else:
                connection.close()

    run_threads(partial(buyer, number) for number in range(options.hot_buyers))
    if errors:
        raise SystemExit(f"a hot-item buyer failed: {errors[0]!r}")
    winners = [ms for won, ms in outcomes if won]
    return len(winners), winners, [ms for won, ms in outcomes if not won]


if __name__ == "__main__":
    raise SystemExit(main())
