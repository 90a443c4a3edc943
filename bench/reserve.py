"""Holds per second through `inventory.services.reserve_item` on PostgreSQL against the same transaction as
raw SQL with psycopg, in the same run; then one hot item that many buyers want at once.

    .venv/bin/python bench/reserve.py [--buyers 1,4,8] [--holds 200] [--rounds 3] [--hot-buyers 50]
        [--hot-rounds 5] [--max-seconds 60] [--database NAME] [--keep]

Creates its own database (--database, default philia_bench_reserve, on the server of DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/), migrates it, makes items and customers, and drops it at the end
(unless --keep). No Redis or worker is needed.

Distinct items: each buyer is a thread with its own database connection, holding its own items one after
the other (each hold by its own customer, so the hold limit never refuses one). The baseline runs the same
transaction by hand over psycopg: lock the customer row, lock the item row by its SKU (case-insensitive, as
`reserve_item` does), check it is on sale, count the customer's current holds, update the item, commit.
The two alternate in short rounds (other load on the machine hits both alike) and every item is put back on
sale between rounds. Goal: `reserve_item` at least 0.5 of the raw SQL's holds per second at 8 buyers.

Hot item: --hot-buyers threads, each with its own connection and customer, start together on one SKU;
exactly one may win (checked every round, for both), and the losers' time to their answer is measured.
Exits non-zero when the goal is missed or a hot round has other than one winner.
"""

import argparse
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import bench_database_url, drop_database, percentile, recreate_database  # noqa: E402 (after the path)

BENCH_DB = "philia_bench_reserve"
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


@dataclass
class Phase:
    holds: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # ms per hold

    @property
    def per_second(self) -> float:
        return self.holds / self.seconds if self.seconds else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--buyers", default="1,4,8", help="concurrent buyers to measure, comma-separated")
    parser.add_argument("--holds", type=int, default=200, help="holds per buyer per round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of each way, per buyer count")
    parser.add_argument("--hot-buyers", type=int, default=50, help="buyers at once on the hot item")
    parser.add_argument("--hot-rounds", type=int, default=5, help="hot-item rounds of each way")
    parser.add_argument("--max-seconds", type=float, default=60.0, help="cap on each measured phase")
    parser.add_argument(
        "--database", default=BENCH_DB, help="name of the database to create and drop (default %(default)s)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    options = parser.parse_args()
    try:
        buyer_counts = [int(part) for part in options.buyers.split(",")]
    except ValueError:
        parser.error(f"--buyers must be whole numbers separated by commas, not {options.buyers!r}")
    if any(count < 1 for count in buyer_counts) or options.holds < 1 or options.rounds < 1:
        parser.error("--buyers, --holds and --rounds must be at least 1")
    if options.hot_buyers < 2 or options.hot_rounds < 1:
        parser.error("--hot-buyers must be at least 2 and --hot-rounds at least 1")

    bench_url = bench_database_url(options.database)
    recreate_database(bench_url)
    os.environ["DATABASE_URL"] = bench_url
    os.environ["REDIS_URL"] = ""  # nothing here enqueues; the in-memory broker keeps any job out of a real Redis
    os.environ["DEBUG"] = "false"  # as in production (DEBUG on would also record every query)
    os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "philia.settings")
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["CONN_MAX_AGE"] = "0"
    import django

    django.setup()
    try:
        goal_met = run(options, bench_url, buyer_counts)
    finally:
        from django.db import connections

        connections.close_all()
        if not options.keep:
            drop_database(bench_url)
    return 0 if goal_met else 1


def run(options: argparse.Namespace, bench_url: str, buyer_counts: list[int]) -> bool:
    import psycopg
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from conversations.models import Customer
    from inventory.exceptions import ItemUnavailable
    from inventory.models import Item
    from inventory.services import reserve_item

    call_command("migrate", verbosity=0)
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
    limit = settings.MAX_HOLDS_PER_CUSTOMER
    print(
        f"PostgreSQL {connection.pg_version // 10000}, {slots:,} items and customers; {options.holds} holds per buyer "
        f"per round, {options.rounds} rounds of each way per buyer count"
    )

    def reset() -> None:
        with psycopg.connect(bench_url, autocommit=True) as admin:
            admin.execute(
                "UPDATE inventory_item SET status = 'available', held_by_id = NULL, held_until = NULL "
                "WHERE status <> 'available'"
            )
            admin.execute("VACUUM ANALYZE inventory_item")

    def orm_buyer(buyer: int) -> tuple[Callable[[], None], Callable[[int], None], Callable[[], None]]:
        customers = [Customer(tiktok_user_id=f"buyer-{buyer * options.holds + n:06d}") for n in range(options.holds)]

        def hold(number: int) -> None:
            reserve_item(sku=f"RSV-{buyer * options.holds + number:06d}", customer=customers[number])

        return connection.ensure_connection, hold, connection.close

    def raw_buyer(buyer: int) -> tuple[Callable[[], None], Callable[[int], None], Callable[[], None]]:
        state: dict = {}

        def open_connection() -> None:
            state["connection"] = psycopg.connect(bench_url, autocommit=True)

        def hold(number: int) -> None:
            slot = buyer * options.holds + number
            raw_reserve(state["connection"], sku=f"RSV-{slot:06d}", customer_id=f"buyer-{slot:06d}", limit=limit)

        return open_connection, hold, lambda: state["connection"].close()

    def measure(make_buyer: Callable, buyers: int) -> Phase:
        """One round: `buyers` threads, each connected before the start, holding their own items."""
        reset()
        barrier = threading.Barrier(buyers + 1)
        deadline_box: list[float] = []
        results: list[list[float]] = [[] for _ in range(buyers)]
        errors: list[BaseException] = []

        def work(buyer: int) -> None:
            open_connection, hold, close = make_buyer(buyer)
            try:
                open_connection()
                barrier.wait()
                mine = results[buyer]
                for number in range(options.holds):
                    if time.monotonic() >= deadline_box[0]:
                        break
                    begin = time.perf_counter()
                    hold(number)
                    mine.append((time.perf_counter() - begin) * 1000)
            except BaseException as exc:  # reported after the join: a failed hold is a broken bench
                errors.append(exc)
                barrier.abort()  # nobody waits for a buyer that will not come
            finally:
                close()

        threads = [threading.Thread(target=work, args=(buyer,)) for buyer in range(buyers)]
        for thread in threads:
            thread.start()
        deadline_box.append(time.monotonic() + options.max_seconds)
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass  # a buyer failed to connect: reported below
        started = time.perf_counter()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        if errors:
            raise SystemExit(f"a hold failed: {errors[0]!r}")
        latencies = [value for mine in results for value in mine]
        return Phase(holds=len(latencies), seconds=elapsed, latencies=latencies)

    ratios: dict[int, float] = {}
    print("\ndistinct items (holds/s over all rounds; ms per hold)")
    for buyers in buyer_counts:
        totals = {"reserve_item": Phase(), "raw SQL": Phase()}
        ways = {"reserve_item": orm_buyer, "raw SQL": raw_buyer}
        for round_number in range(options.rounds):
            order = ("reserve_item", "raw SQL") if round_number % 2 == 0 else ("raw SQL", "reserve_item")
            for name in order:
                phase = measure(ways[name], buyers)
                totals[name].holds += phase.holds
                totals[name].seconds += phase.seconds
                totals[name].latencies.extend(phase.latencies)
        for name, phase in totals.items():
            print(
                f"  {buyers} buyer{'s' if buyers > 1 else ' '}  {name:13} {phase.per_second:7.0f} holds/s   "
                f"p50 {statistics.median(phase.latencies):6.2f} ms  p99 {percentile(phase.latencies, 0.99):6.2f} ms  "
                f"({phase.holds} holds)"
            )
        ratios[buyers] = totals["reserve_item"].per_second / totals["raw SQL"].per_second
        print(f"  {buyers} buyer{'s' if buyers > 1 else ' '}  ratio reserve_item/raw SQL: {ratios[buyers]:.2f}")

    # --- one hot item, everybody at once ---
    hot_customers = [Customer(tiktok_user_id=f"hot-{number:04d}") for number in range(options.hot_buyers)]

    def hot_round(way: str) -> tuple[int, list[float], list[float]]:
        """(winners, winner's ms, losers' ms) of one round: every buyer asks for HOT_SKU at the same moment."""
        reset()
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

        threads = [threading.Thread(target=buyer, args=(number,)) for number in range(options.hot_buyers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise SystemExit(f"a hot-item buyer failed: {errors[0]!r}")
        winners = [ms for won, ms in outcomes if won]
        return len(winners), winners, [ms for won, ms in outcomes if not won]

    print(f"\nhot item: {options.hot_buyers} buyers at once on one SKU, {options.hot_rounds} rounds of each way")
    hot_ok = True
    for way in ("reserve_item", "raw SQL"):
        winners_per_round: list[int] = []
        losers: list[float] = []
        winner_ms: list[float] = []
        for _ in range(options.hot_rounds):
            winners, won_ms, lost_ms = hot_round(way)
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

    goal_buyers = 8 if 8 in ratios else max(ratios)
    goal_met = ratios[goal_buyers] >= 0.5
    print(
        f"\ngoal: reserve_item >= 0.50 of raw SQL at {goal_buyers} buyers -> {ratios[goal_buyers]:.2f}, "
        f"{'met' if goal_met else 'NOT met'}; hot item exactly one winner every round -> "
        f"{'yes' if hot_ok else 'NO'}"
    )
    return goal_met and hot_ok


if __name__ == "__main__":
    raise SystemExit(main())
