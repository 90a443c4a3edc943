"""GET /metrics on a shop with 100,000 stored webhook events (and the messages, orders, items and notifications that
go with them) against the same scrape of the same shop while it is empty, in the same run: a scrape every 15 s must
cost the database next to nothing however long the shop has run.

    .venv/bin/python bench/metrics.py [--scrapes 30] [--database NAME] [--namespace NAME] [--keep]

Runs on the servers DATABASE_URL and REDIS_URL name, or (unset) on the project's embedded PostgreSQL and Redis,
started if need be and stopped at the end if this bench started them. Creates its own database (--database, default
philia_bench_metrics), migrates it, scrapes it empty (the baseline: the same code, no rows), fills it as a shop of a
couple of months (bulk SQL, then VACUUM ANALYZE as autovacuum would) and scrapes it again; each scrape through
Django's test client in this process, the first 3 of each side not counted (imports, the connection's prepared
statements). Prints both medians, the 90th percentiles and their ratio. Goal: the full shop's median under 50 ms.
Exits non-zero when it is missed.
"""

import argparse
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import add_database_options, django_on_bench_database  # noqa: E402 (after the path)

BENCH_DB = "philia_bench_metrics"
NAMESPACE = "philia-bench-metrics"
GOAL_SECONDS = 0.050
WARM_UP_SCRAPES = 3

TOKEN = "metrics-token-for-the-bench"
TIKTOK_EVENTS = 95_000
STRIPE_EVENTS = 5_000
CUSTOMERS = 5_000

SHOP_SQL = [
    # Customers, and their DMs as TikTok delivered them: ~600 bytes of raw body each, spread over 55 days.
    """INSERT INTO conversations_customer (tiktok_user_id, username, display_name, conversation_id, marketing_consent,
           created_at, updated_at, last_inbound_at)
       SELECT 'user-' || n, 'fan' || n, 'Fan ' || n, 'conv-' || n, false, now(), now(), now()
       FROM generate_series(1, %(customers)s) AS n""",
    """INSERT INTO tiktok_webhookevent (event, tiktok_message_id, dedupe_key, conversation_id, raw_body, received_at,
           status, attempts, last_error, outcome, processed_at)
       SELECT 'im_receive_msg', 'msg-' || n, 'msg-' || n, 'conv-' || (n %% %(customers)s + 1),
              '{"event": "im_receive_msg", "content": "' || repeat(md5(n::text), 18) || '"}',
              now() - (%(tiktok)s - n) * interval '50 seconds',
              CASE WHEN n > %(tiktok)s - 100 THEN 'received' WHEN n %% 997 = 0 THEN 'failed' ELSE 'done' END,
              1, '', CASE WHEN n %% 100 = 0 THEN 'Not an event the shop handles.' ELSE '' END, now()
       FROM generate_series(1, %(tiktok)s) AS n""",
    """INSERT INTO orders_stripeevent (event_id, event_type, payload, status, outcome, received_at, attempts,
           last_error)
       SELECT 'evt_' || n, 'checkout.session.completed',
              jsonb_build_object('id', 'evt_' || n, 'data', jsonb_build_object('object',
                  jsonb_build_object('id', 'cs_' || n, 'amount_total', 4500, 'metadata', repeat(md5(n::text), 16)))),
              CASE WHEN n > %(stripe)s - 10 THEN 'received' ELSE 'done' END,
              CASE WHEN n %% 10 = 0 THEN 'not an event the shop acts on' ELSE '' END,
              now() - (%(stripe)s - n) * interval '15 minutes', 1, ''
       FROM generate_series(1, %(stripe)s) AS n""",
    # Each DM and its reply.
    """INSERT INTO conversations_message (customer_id, role, direction, content_type, text, state, error_code, error,
           attempts, ai_model, prompt_tokens, completion_tokens, image_name, created_at, updated_at)
       SELECT 'user-' || (n %% %(customers)s + 1), 'user', 'inbound', 'text',
              'got any nike jackets in L? ' || md5(n::text), '', '', '', 0, '', 0, 0, '', now(), now()
       FROM generate_series(1, %(tiktok)s) AS n""",
    """INSERT INTO conversations_message (customer_id, role, direction, content_type, text, state, error_code, error,
           attempts, ai_model, prompt_tokens, completion_tokens, image_name, created_at, updated_at)
       SELECT 'user-' || (n %% %(customers)s + 1), 'assistant', 'outbound', 'text',
              'We have a Nike windbreaker in L, $45: VNT-NIKE-WB-001. Want me to hold it? ' || md5(n::text),
              CASE WHEN n > %(tiktok)s - 20 THEN 'queued' WHEN n %% 500 = 0 THEN 'failed' ELSE 'sent' END,
              '', '', 1, '', 0, 0, '', now(), now()
       FROM generate_series(1, %(tiktok)s) AS n""",
]
SHOP_TABLES = [
    "conversations_customer",
    "tiktok_webhookevent",
    "orders_stripeevent",
    "conversations_message",
    "inventory_item",
    "orders_order",
    "notifications_notification",
]


def fill_the_shop() -> None:
    """A shop of a couple of months: 95,000 DMs and their replies, 5,000 Stripe events, 5,000 customers, 5,000 items,
    3,800 orders, 2,000 notifications; then VACUUM ANALYZE."""
    from django.db import connection
    from django.utils import timezone

    from inventory.models import Item
    from notifications.models import Notification
    from orders.models import Order

    with connection.cursor() as cursor:
        # Until a commit is on disk VACUUM cannot mark its pages all-visible (the suite's settings may not wait for it).
        cursor.execute("SET synchronous_commit TO on")
        for statement in SHOP_SQL:
            cursor.execute(statement, {"customers": CUSTOMERS, "tiktok": TIKTOK_EVENTS, "stripe": STRIPE_EVENTS})
    now = timezone.now()
    statuses = ["available"] * 1_000 + ["reserved"] * 100 + ["sold"] * 3_800 + ["hidden"] * 100
    Item.objects.bulk_create(
        Item(
            sku=f"VNT-BENCH-{number:05}",
            name=f"Vintage piece {number}",
            price=Decimal("45.00"),
            status=status,
            held_by_id=f"user-{number}" if status == "reserved" else None,
            held_until=now + timedelta(hours=number % 48 - 12) if status == "reserved" else None,
        )
        for number, status in enumerate(statuses, start=1)
    )
    Order.objects.bulk_create(
        Order(customer_id=f"user-{number % CUSTOMERS + 1}", status="paid" if number % 7 else "pending")
        for number in range(3_800)
    )
    Notification.objects.bulk_create(
        Notification(kind="order_placed", cause=f"order_placed:{number}", text="Order placed", path="/admin/")
        for number in range(2_000)
    )
    # What autovacuum does to tables this size soon after a load: statistics, and the visibility map that lets
    # PostgreSQL count from an index alone.
    with connection.cursor() as cursor:
        for table in SHOP_TABLES:
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("RESET synchronous_commit")


def scrapes(client, count: int) -> list[float]:
    """`count` timed scrapes after WARM_UP_SCRAPES untimed ones, in seconds, sorted."""
    timings = []
    for number in range(WARM_UP_SCRAPES + count):
        started = time.perf_counter()
        response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"GET /metrics answered {response.status_code}")
        if number >= WARM_UP_SCRAPES:
            timings.append(elapsed)
    return sorted(timings)


def line(label: str, timings: list[float]) -> str:
    p90 = timings[int(len(timings) * 0.9)]
    return f"  {label:<42} median {statistics.median(timings) * 1000:6.1f} ms   90th percentile {p90 * 1000:6.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scrapes", type=int, default=30, help="timed scrapes of each side (default %(default)s)")
    add_database_options(parser, database=BENCH_DB, namespace=NAMESPACE)
    options = parser.parse_args()
    if options.scrapes < 1:
        parser.error("--scrapes must be at least 1")
    with django_on_bench_database(options, METRICS_TOKEN=TOKEN, ALLOWED_HOSTS="testserver"):
        from django.core.management import call_command
        from django.test import Client

        call_command("migrate", interactive=False, verbosity=0)
        client = Client()
        empty = scrapes(client, options.scrapes)
        fill_the_shop()
        full = scrapes(client, options.scrapes)
    events = TIKTOK_EVENTS + STRIPE_EVENTS
    print(f"GET /metrics, {options.scrapes} scrapes of each side after {WARM_UP_SCRAPES} untimed")
    print(line(f"shop with {events:,} events, {2 * TIKTOK_EVENTS:,} messages", full))
    print(line("baseline: the same shop empty", empty))
    median, baseline = statistics.median(full), statistics.median(empty)
    print(f"  ratio full/empty median: {median / baseline:.1f}x")
    met = median < GOAL_SECONDS
    print(
        f"goal: median < {GOAL_SECONDS * 1000:g} ms with {events:,} events -> {median * 1000:.1f} ms, {'met' if met else 'NOT met'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
