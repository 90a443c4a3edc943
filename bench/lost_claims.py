"""Proposing to the losers of a drop or live claim: `assistant.notices.settle_drop_item` for one piece claimed by
--losers + 1 customers (a third of them of known sizes), with its losers' propositions and (baseline) with
`propose_to_losers` proposing nothing, alternating, among --items pieces while a live stream has pieces lined up.

    .venv/bin/python bench/lost_claims.py [--items 50000] [--losers 150] [--rounds 20] [--max-seconds 120]
        [--database NAME] [--namespace NAME] [--keep]

Runs on the servers DATABASE_URL and REDIS_URL name, or (unset) on the embedded ones, as bench/propositions.py does,
on its own database (dropped at the end unless --keep), seeded with the demo stock and the assistant bench's
generated pieces. Each round gives a generated piece away at once (`drop_now`, as a live stream's Next does) and
records the claims directly (what is measured is the settling job). Goal (issue 21): proposing adds at most 150 ms
to settling 150 losers (p50 against p50).
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

BENCH_DB = "philia_bench_lost_claims"
NAMESPACE = "philia-bench-lost-claims"
GOAL_ADDED_MS = 150.0
SIZES = [["S"], ["M"], ["L"], ["M", "L"], ["XL"], ["L", "XL"]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--losers", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=20, help="settlements measured each way")
    parser.add_argument("--max-seconds", type=float, default=120.0, help="cap on the measured phase")
    add_database_options(parser, database=BENCH_DB, namespace=NAMESPACE)
    options = parser.parse_args()
    with django_on_bench_database(options, OPENAI_API_KEY=""):
        return 0 if run(options) else 1


def run(options: argparse.Namespace) -> bool:
    from django.core.management import call_command

    from bench.assistant import seed
    from inventory.models import Item
    from live.services import schedule_stream, start_stream

    call_command("migrate", verbosity=0)
    seed(options)
    rng = random.Random(21)
    pieces = list(Item.objects.filter(sku__startswith="BNC-", category="jacket").order_by("pk"))
    anchors = rng.sample(pieces, 2 * options.rounds + 30)
    stream = schedule_stream(title="Bench live", skus=[piece.sku for piece in anchors[-30:]])
    start_stream(stream_id=stream.pk)  # 30 jackets lined up: never proposed
    customers = make_customers(options.losers + 1, rng)
    print(
        f"{options.losers} losers a settlement, {len(customers) // 3} of known sizes, {options.rounds} rounds each way"
    )
    timings = measure(options, anchors[: 2 * options.rounds], customers)
    return report(options, timings)


def make_customers(count: int, rng: random.Random) -> list:
    from django.utils import timezone

    from conversations.models import Customer
    from propositions.models import CustomerSizes

    now = timezone.now()
    customers = Customer.objects.bulk_create(
        Customer(tiktok_user_id=f"fan-{number:04d}", conversation_id=f"conv-{number}", last_inbound_at=now)
        for number in range(count)
    )
    CustomerSizes.objects.bulk_create(
        CustomerSizes(customer=customer, labels=rng.choice(SIZES)) for customer in customers[1::3]
    )
    return customers


def measure(options: argparse.Namespace, anchors: list, customers: list) -> dict[bool, list[float]]:
    """Settle each anchor's claims, with and without propositions, alternating; ms per settlement."""
    from assistant import notices

    proposing = notices.propose_to_losers
    timings: dict[bool, list[float]] = {True: [], False: []}
    deadline = time.monotonic() + options.max_seconds
    try:
        for number, anchor in enumerate(anchors):
            if time.monotonic() >= deadline and number % 2 == 0:
                break
            with_propositions = number % 2 == 0
            drop_item_id = claimed(anchor, customers, round_number=number)
            notices.propose_to_losers = proposing if with_propositions else (lambda **_: {})
            begin = time.perf_counter()
            assert notices.settle_drop_item(drop_item_id=drop_item_id, received_at={})
            timings[with_propositions].append((time.perf_counter() - begin) * 1000)
    finally:
        notices.propose_to_losers = proposing
    return timings


def claimed(anchor, customers: list, *, round_number: int) -> int:
    """Give `anchor` away now and record one claim per customer, a millisecond apart; the drop item's id."""
    from django.utils import timezone

    from conversations.models import Message
    from inventory.models import DropClaim, DropItem
    from inventory.services import drop_now

    drop_item = drop_now(item_id=anchor.pk, name=f"Bench lot {round_number}")
    now = timezone.now()
    messages = Message.objects.bulk_create(
        Message(
            customer=customer, role="user", direction="inbound", text="mine", tiktok_message_id=f"m{round_number}-{n}"
        )
        for n, customer in enumerate(customers)
    )
    written_ms = int(drop_item.drop.drops_at.timestamp() * 1000) + 100
    DropClaim.objects.bulk_create(
        DropClaim(
            drop_item=drop_item,
            customer=customer,
            message=message,
            tiktok_message_id=f"m{round_number}-{n}",
            written_at_ms=written_ms + n,
        )
        for n, (customer, message) in enumerate(zip(customers, messages, strict=True))
    )
    DropItem.objects.filter(pk=drop_item.pk).update(first_claim_at=now)
    return drop_item.pk


def report(options: argparse.Namespace, timings: dict[bool, list[float]]) -> bool:
    from propositions.models import Proposition

    with_p50, without_p50 = statistics.median(timings[True]), statistics.median(timings[False])
    added = with_p50 - without_p50
    per_loser = Proposition.objects.count() / (len(timings[True]) * options.losers)
    print(
        f"settling with propositions  p50 {with_p50:7.2f} ms   p99 {percentile(timings[True], 0.99):7.2f} ms"
        f"   ({per_loser:.2f} pieces proposed a loser)"
    )
    print(f"baseline: none proposed     p50 {without_p50:7.2f} ms   p99 {percentile(timings[False], 0.99):7.2f} ms")
    met = added <= GOAL_ADDED_MS * options.losers / 150
    print(
        f"added p50 {added:6.2f} ms for {options.losers} losers   goal (<= 150 ms for 150): {'met' if met else 'NOT met'}"
    )
    return met


if __name__ == "__main__":
    raise SystemExit(main())
