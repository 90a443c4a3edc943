"""Proposing among 50,000 items: `propositions.selectors.similar_pieces` (candidates read, scored, ranked) against
the same candidate query without scoring, and the offline reply to a sold piece with its proposition against the
same reply without it, both measured in the same run, interleaved.

    .venv/bin/python bench/propositions.py [--items 50000] [--anchors 200] [--rounds 3] [--max-seconds 120]
        [--database NAME] [--namespace NAME] [--keep]

Runs on the servers DATABASE_URL and REDIS_URL name, or (unset) on the embedded ones, as bench/assistant.py does, on
its own database (dropped at the end unless --keep), seeded with the demo stock and the same generated pieces; one
in ten generated pieces is marked sold, and the sold ones asked about ("SKU?") are the anchors. Goals (issue 21,
item 6): proposing p50 < 15 ms and p99 < 60 ms; the reply with a proposition at most 1.3x the plain "it's gone" one.
"""

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import add_database_options, django_on_bench_database, percentile  # noqa: E402 (after the path)

BENCH_DB = "philia_bench_propositions"
NAMESPACE = "philia-bench-propositions"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--anchors", type=int, default=200, help="sold pieces asked about")
    parser.add_argument("--rounds", type=int, default=3, help="times each anchor is proposed for")
    parser.add_argument("--max-seconds", type=float, default=120.0, help="cap on each measured phase")
    add_database_options(parser, database=BENCH_DB, namespace=NAMESPACE)
    options = parser.parse_args()
    with django_on_bench_database(options, OPENAI_API_KEY=""):
        return 0 if run(options) else 1


def run(options: argparse.Namespace) -> bool:
    from django.core.management import call_command
    from django.db import connection

    from bench.assistant import seed
    from inventory.models import Item

    call_command("migrate", verbosity=0)
    seed(options)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE inventory_item SET status = 'sold' WHERE sku LIKE 'BNC-%' AND id % 10 = 0")
        cursor.execute("ANALYZE inventory_item")
    sold = list(Item.objects.filter(status="sold", sku__startswith="BNC-").order_by("pk"))
    anchors = random.Random(11).sample(sold, min(options.anchors, len(sold)))
    print(f"{len(anchors)} sold pieces asked about, {len(sold):,} sold in all")
    proposing_met = measure_proposing(options, anchors)
    reply_met = measure_replies(options, anchors)
    return proposing_met and reply_met


def measure_proposing(options: argparse.Namespace, anchors: list) -> bool:
    from django.utils import timezone

    from propositions.scoring import Sizes, Target
    from propositions.selectors import candidates, similar_pieces

    scored: list[float] = []
    plain: list[float] = []
    sizes = Sizes(labels=frozenset({"M"}))
    deadline = time.monotonic() + options.max_seconds
    for _ in range(options.rounds):
        for anchor in anchors:
            if time.monotonic() >= deadline:
                break
            target, now = Target.of_item(anchor), timezone.now()
            begin = time.perf_counter()
            list(candidates(target=target, now=now))
            plain.append((time.perf_counter() - begin) * 1000)
            begin = time.perf_counter()
            similar_pieces(target=target, sizes=sizes, now=now)
            scored.append((time.perf_counter() - begin) * 1000)
    p50, p99 = statistics.median(scored), percentile(scored, 0.99)
    met = p50 < 15 and p99 < 60
    print(f"similar_pieces (read, score, rank)  p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   ({len(scored)} proposals)")
    print(
        f"baseline: the same query unscored   p50 {statistics.median(plain):6.2f} ms   p99 {percentile(plain, 0.99):6.2f} ms"
    )
    print(f"goal (p50 < 15 ms, p99 < 60 ms): {'met' if met else 'NOT met'}")
    return met


def measure_replies(options: argparse.Namespace, anchors: list) -> bool:
    """answer() to "SKU?" about a sold piece, with the proposition and (baseline) with `details.similar` saying
    nothing, alternating; each customer asks about 10 pieces."""
    from assistant.offline import details
    from assistant.services import answer
    from conversations.models import Customer, Message

    proposing = details.similar
    timings: dict[bool, list[float]] = {True: [], False: []}
    deadline = time.monotonic() + options.max_seconds
    for number, anchor in enumerate(anchors):
        if time.monotonic() >= deadline:
            break
        for with_proposition in (number % 2 == 0, number % 2 == 1):
            details.similar = proposing if with_proposition else (lambda turn, facts: "")
            customer, _ = Customer.objects.get_or_create(
                tiktok_user_id=f"bench-{with_proposition}-{number // 10}", defaults={"conversation_id": "conv"}
            )
            begin = time.perf_counter()
            message = Message.objects.create(customer=customer, role="user", direction="inbound", text=f"{anchor.sku}?")
            answer(customer=customer, message=message)
            timings[with_proposition].append((time.perf_counter() - begin) * 1000)
    details.similar = proposing
    with_p50, without_p50 = statistics.median(timings[True]), statistics.median(timings[False])
    ratio = with_p50 / without_p50
    print(
        f"reply with a proposition   p50 {with_p50:6.2f} ms   p99 {percentile(timings[True], 0.99):6.2f} ms"
        f"   ({len(timings[True])} replies)"
    )
    print(f"baseline: plain 'sold'     p50 {without_p50:6.2f} ms   p99 {percentile(timings[False], 0.99):6.2f} ms")
    print(f"ratio p50 {ratio:.2f}x   goal (<= 1.3x): {'met' if ratio <= 1.3 else 'NOT met'}")
    return ratio <= 1.3


if __name__ == "__main__":
    raise SystemExit(main())
