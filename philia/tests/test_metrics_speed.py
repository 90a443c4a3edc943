"""GET /metrics answers within 50 ms on a shop with 100,000 stored webhook events (and the messages, orders and
items that go with them), so a scrape every 15 s costs the database next to nothing."""

import statistics
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from inventory.models import Item
from notifications.models import Notification
from orders.models import Order

TOKEN = "metrics-token-for-tests"
TIKTOK_EVENTS = 95_000
STRIPE_EVENTS = 5_000
CUSTOMERS = 5_000
SCRAPES = 30
GOAL_SECONDS = 0.050

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
    with connection.cursor() as cursor:
        # As in production: the suite's connections commit without waiting for the disk, and until the commit is
        # on disk VACUUM cannot mark the pages all-visible.
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


def scrape_seconds(client) -> float:
    started = time.perf_counter()
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    return elapsed


@pytest.mark.slow
# transaction=True: VACUUM cannot run inside the test's transaction, and the rows must be committed for it to count.
@pytest.mark.django_db(transaction=True)
def test_metrics_answer_within_50_ms_with_100000_stored_events(client, settings, dramatiq_broker):
    settings.METRICS_TOKEN = TOKEN
    fill_the_shop()
    for _ in range(3):  # the first scrape imports every app's actors and warms the connection
        scrape_seconds(client)

    timings = sorted(scrape_seconds(client) for _ in range(SCRAPES))

    median, fastest = statistics.median(timings), timings[0]
    print(
        f"\n/metrics with {TIKTOK_EVENTS + STRIPE_EVENTS:,} events and {2 * TIKTOK_EVENTS:,} messages stored, "
        f"{SCRAPES} scrapes: median {median * 1000:.1f} ms, fastest {fastest * 1000:.1f} ms, "
        f"90th percentile {timings[int(SCRAPES * 0.9)] * 1000:.1f} ms"
    )
    # The median, over more scrapes than it takes the connection to prepare a query (5): a generic plan that walks a
    # whole index shows here. About 19 ms on a quiet 2-vCPU machine, leaving room for other test runs sharing it.
    assert median < GOAL_SECONDS
