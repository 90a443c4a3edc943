"""Proposing among 50,000 items: `propositions.selectors.similar_pieces` (candidates read, scored, ranked) against
the same candidate query without scoring; and the reply to a DM asking for a sold piece ("SKU?") with its
proposition against the same reply without it, both measured in the same run, interleaved.

    .venv/bin/python bench/propositions.py [--items 50000] [--anchors 200] [--rounds 3] [--max-seconds 120]
        [--database NAME] [--namespace NAME] [--keep]

Runs on the servers DATABASE_URL and REDIS_URL name, or (unset) on the embedded ones, as bench/assistant.py does, on
its own database (dropped at the end unless --keep), seeded with the demo stock and the same generated pieces; one
in ten generated pieces is marked sold, and the sold ones asked about are the anchors.

The reply is timed twice. As the shop makes it: the worker's job for the stored webhook event (`handle_event`, run
in this process as a worker runs it: the conversation's mutex, the event taken up, the DM recorded, `answer()`, the
reply written to the outbox with the event finished, its send queued — the call to TikTok, the same for both, is not
made). And the assistant's part alone, as this bench timed it first: storing the DM and `answer()`. Goals (issue 21,
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

from bench.common import (  # noqa: E402 (after the path)
    BUSINESS_ID,
    add_database_options,
    django_on_bench_database,
    percentile,
)

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
    with django_on_bench_database(options, OPENAI_API_KEY="", TIKTOK_BUSINESS_ID=BUSINESS_ID, COALESCE_SECONDS="0"):
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
    reply_met = measure_dm_replies(options, anchors)
    measure_answers(options, anchors)
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


def measure_dm_replies(options: argparse.Namespace, anchors: list) -> bool:
    """The worker's job for a DM "SKU?" about a sold piece, with the proposition and (baseline) with
    `details.similar` saying nothing, alternating; each customer writes about 10 pieces."""
    from assistant.tasks import handle_event
    from tiktok.envelopes import parse_envelope
    from tiktok.models import WebhookEvent
    from tiktok.services import conversation_key_of, record_webhook_event
    from tiktok.simulation import customer_message_content, envelope_body

    def reply(anchor, *, customer: str, number: int) -> float:
        content = customer_message_content(
            text=f"{anchor.sku}?", username=customer, business_id=BUSINESS_ID, message_id=f"dm-{customer}-{number}"
        )
        body = envelope_body(event="im_receive_msg", content=content, business_id=BUSINESS_ID)
        event = record_webhook_event(body=body, envelope=parse_envelope(body)).event_id
        assert event is not None, "the DM was not stored"
        conversation = conversation_key_of(conversation_id=content["conversation_id"], event_id=event)
        begin = time.perf_counter()
        handle_event.fn(event, conversation)
        elapsed = (time.perf_counter() - begin) * 1000
        assert WebhookEvent.objects.filter(pk=event, status=WebhookEvent.Status.DONE).exists(), "the DM failed"
        return elapsed

    timings = _alternating(options, anchors, reply, prefix="dm")
    return _report("the DM's reply (the worker's job)", timings, goal=True)


def measure_answers(options: argparse.Namespace, anchors: list) -> None:
    """The assistant's part alone: the DM stored and `answer()` to it, with the proposition and without."""
    from assistant.services import answer
    from conversations.models import Customer, Message

    def reply(anchor, *, customer: str, number: int) -> float:
        found, _ = Customer.objects.get_or_create(tiktok_user_id=customer, defaults={"conversation_id": "conv"})
        begin = time.perf_counter()
        message = Message.objects.create(customer=found, role="user", direction="inbound", text=f"{anchor.sku}?")
        answer(customer=found, message=message)
        return (time.perf_counter() - begin) * 1000

    _report("the assistant's part (answer())", _alternating(options, anchors, reply, prefix="bench"), goal=False)


def _alternating(options: argparse.Namespace, anchors: list, reply, *, prefix: str) -> dict[bool, list[float]]:
    """`reply` timed for each anchor, with the proposition for every other one and with `details.similar` saying
    nothing for the rest, in turn; each customer asks about 10 pieces."""
    from assistant.offline import details

    proposing = details.similar
    timings: dict[bool, list[float]] = {True: [], False: []}
    deadline = time.monotonic() + options.max_seconds
    try:
        for number, anchor in enumerate(anchors):
            if time.monotonic() >= deadline:
                break
            for with_proposition in (number % 2 == 0, number % 2 == 1):
                details.similar = proposing if with_proposition else (lambda turn, facts: "")
                customer = f"{prefix}-{with_proposition}-{number // 10}"
                timings[with_proposition].append(reply(anchor, customer=customer, number=number))
    finally:
        details.similar = proposing
    return timings


def _report(what: str, timings: dict[bool, list[float]], *, goal: bool) -> bool:
    with_p50, without_p50 = statistics.median(timings[True]), statistics.median(timings[False])
    ratio = with_p50 / without_p50
    print(f"{what}:")
    print(
        f"  with a proposition   p50 {with_p50:6.2f} ms   p99 {percentile(timings[True], 0.99):6.2f} ms"
        f"   ({len(timings[True])} replies)"
    )
    print(f"  baseline: plain 'sold'   p50 {without_p50:6.2f} ms   p99 {percentile(timings[False], 0.99):6.2f} ms")
    verdict = f"goal (<= 1.3x): {'met' if ratio <= 1.3 else 'NOT met'}" if goal else "(no goal of its own)"
    print(f"  ratio p50 {ratio:.2f}x   {verdict}")
    return ratio <= 1.3


if __name__ == "__main__":
    raise SystemExit(main())
