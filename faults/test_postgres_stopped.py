"""PostgreSQL stopped (a cluster of the test's own): the webhook answers 503 so TikTok retries, /health is 503
and says the database is down, and the workers keep the messages they had taken; once PostgreSQL is back,
everything recovers without restarting any process."""

import time
from collections.abc import Iterator

import pytest
import requests

from faults.checks import all_answered, assert_each_dm_answered_once, post_dm, wait_for_answers
from faults.conftest import running_shop
from faults.harness import PostgresCluster, Shop, create_database, wait_until

TAKEN, REFUSED = 40, 5
DOWN_SECONDS = 12
RECOVERY_SECONDS = 120


@pytest.fixture
def postgres(logs) -> Iterator[PostgresCluster]:
    with PostgresCluster(logs) as cluster:
        yield cluster


@pytest.fixture
def shop_on_own_postgres(request, postgres, redis_server, fake_tiktok_api, logs) -> Iterator[Shop]:
    create_database(postgres.url)
    yield from running_shop(
        request,
        Shop(database_url=postgres.url, redis_url=redis_server.url, logs=logs, tiktok_api=fake_tiktok_api.base_url),
    )


def test_postgres_outage_refuses_with_503_keeps_taken_messages_and_recovers_alone(
    shop_on_own_postgres, postgres, fake_tiktok_api
):
    shop = shop_on_own_postgres
    web = shop.start_web()
    worker = shop.start_worker()
    scheduler = shop.start_scheduler()
    wait_until(lambda: requests.get(f"{shop.url}/health", timeout=5).status_code == 200, seconds=30, what="/health 200")
    # The worker is up and answering before the outage.
    assert post_dm(shop, "hi!", user="warm", message_id="warm-1").status == 200
    wait_until(lambda: all_answered(shop, inbound=1), seconds=60, what="the first DM answered")
    # Taken: stored and enqueued; the worker is on them when PostgreSQL goes.
    for number in range(TAKEN):
        assert (
            post_dm(shop, "got any nike jackets in L?", user=f"fan{number}", message_id=f"taken-{number}").status == 200
        )
    unfinished = shop.scalar(
        "SELECT (SELECT count(*) FROM tiktok_webhookevent WHERE status = 'received') + "
        "(SELECT count(*) FROM conversations_message WHERE direction = 'outbound' AND state <> 'sent')"
    )
    postgres.stop()
    refused = [
        post_dm(shop, "hello?", user=f"fan{number}", message_id=f"refused-{number}") for number in range(REFUSED)
    ]
    health = requests.get(f"{shop.url}/health", timeout=10)
    time.sleep(DOWN_SECONDS)
    print(f"\nwhile PostgreSQL was down: webhook {[delivery.status for delivery in refused]}, "
          f"slowest {max(delivery.seconds for delivery in refused) * 1000:.0f} ms; /health {health.status_code} {health.json()}")  # fmt: skip
    print(f"events or replies unfinished when PostgreSQL stopped: {unfinished}")
    assert unfinished > 0, "the outage came too late to catch the worker at work"
    assert [(delivery.status, sorted(delivery.body)) for delivery in refused] == [(503, ["detail"])] * REFUSED
    assert health.status_code == 503
    assert health.json()["database"] == "down" and "database is down" in health.json()["detail"]

    postgres.start()
    back = time.monotonic()
    # TikTok retries what it was refused.
    retried = wait_until(
        lambda: (
            [
                post_dm(shop, "hello?", user=f"fan{number}", message_id=f"refused-{number}").status
                for number in range(REFUSED)
            ]
            == [200] * REFUSED
        ),
        seconds=30,
        what="the webhook to take deliveries again",
    )
    assert retried
    recovered_after = wait_for_answers(shop, inbound=1 + TAKEN + REFUSED, since=back, seconds=RECOVERY_SECONDS)
    print(f"every DM answered {recovered_after:.0f} s after PostgreSQL came back")
    assert_each_dm_answered_once(shop, fake_tiktok_api, inbound=1 + TAKEN + REFUSED)
    assert web.alive() and worker.alive() and scheduler.alive(), "a process died or had to be restarted"
    wait_until(lambda: requests.get(f"{shop.url}/health", timeout=5).status_code == 200, seconds=30, what="/health 200")
