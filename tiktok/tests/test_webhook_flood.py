"""A flood of unsigned and badly signed requests is refused before any database work, and signed deliveries
sent during the flood are still accepted."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import connection
from django.test.utils import CaptureQueriesContext

from testing.tiktok import TEST_SECRET, im_receive_msg_body, post_webhook, sign
from tiktok.models import WebhookEvent

pytestmark = pytest.mark.usefixtures("tiktok_settings", "dramatiq_broker")

FLOOD_REQUESTS = 5_000
FLOOD_THREADS = 8  # under the live server's listen backlog, so no connection waits out a SYN retry
SIGNED_DURING_FLOOD = 50
FLOOD_SECONDS_AT_MOST = 180


def _bad_requests(body: bytes) -> list[dict[str, str]]:
    """Headers that must not get past the signature check: none, wrong secret, stale, future, malformed,
    a timestamp of thousands of digits, and a good signature of other bytes."""
    now = int(time.time())
    return [
        {},
        {"TikTok-Signature": sign(body, "not-the-secret")},
        {"TikTok-Signature": sign(body, TEST_SECRET, now - 3600)},
        {"TikTok-Signature": sign(body, TEST_SECRET, now + 3600)},
        {"TikTok-Signature": "t=abc,s=def"},
        {"TikTok-Signature": f"t={'9' * 5000},s={'0' * 64}"},
        {"TikTok-Signature": sign(body + b" ", TEST_SECRET)},
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("case", range(7))
def test_a_badly_signed_request_runs_no_database_query_at_all(client, case):
    body = im_receive_msg_body("hello", message_id="m-1")
    headers = _bad_requests(body)[case]

    with CaptureQueriesContext(connection) as queries:
        response = client.post("/webhooks/tiktok", data=body, content_type="application/json", headers=headers)

    assert response.status_code == 401
    assert "detail" in response.json()
    assert queries.captured_queries == []


@pytest.mark.django_db
def test_a_signed_request_runs_exactly_the_one_insert(client):
    with CaptureQueriesContext(connection) as queries:
        response = post_webhook(client, im_receive_msg_body("hello", message_id="m-1"))

    assert response.json() == {"status": "accepted"}
    [insert] = [query["sql"] for query in queries.captured_queries]
    assert insert.startswith('INSERT INTO "tiktok_webhookevent"')


# transaction=True: the live server's threads must see (and store) committed rows.
@pytest.mark.django_db(transaction=True)
def test_flood_of_bad_requests_is_refused_while_signed_deliveries_are_still_accepted(live_server) -> None:
    url = f"{live_server.url}/webhooks/tiktok"
    flood_body = im_receive_msg_body("flood", message_id="flood-1")
    bad = _bad_requests(flood_body)
    local = threading.local()

    def session() -> requests.Session:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        return local.session

    def refused(number: int) -> int:
        headers = {"Content-Type": "application/json", **bad[number % len(bad)]}
        return session().post(url, data=flood_body, headers=headers, timeout=30).status_code

    signed_answers: list[tuple[int, dict, float]] = []
    flood_running = threading.Event()

    def signed_deliveries() -> None:
        flood_running.wait(timeout=30)
        with requests.Session() as own:
            for number in range(SIGNED_DURING_FLOOD):
                body = im_receive_msg_body(f"hello {number}", message_id=f"signed-{number}")
                started = time.monotonic()
                response = own.post(
                    url, data=body, headers={"Content-Type": "application/json", "TikTok-Signature": sign(body)}
                )
                signed_answers.append((response.status_code, response.json(), time.monotonic() - started))
                time.sleep(0.02)

    signer = threading.Thread(target=signed_deliveries, name="signed-deliveries")
    signer.start()
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=FLOOD_THREADS) as pool:
        futures = [pool.submit(refused, number) for number in range(FLOOD_REQUESTS)]
        flood_running.set()
        statuses = [future.result() for future in futures]
    flood_seconds = time.monotonic() - started
    signer.join(timeout=120)

    print(
        f"\nflood: {FLOOD_REQUESTS} bad requests in {flood_seconds:.1f} s "
        f"({FLOOD_REQUESTS / flood_seconds:.0f} req/s, {FLOOD_THREADS} threads); signed during it: "
        f"{len(signed_answers)}, slowest answer {max(answer[2] for answer in signed_answers) * 1000:.0f} ms"
    )
    assert flood_seconds < FLOOD_SECONDS_AT_MOST
    assert statuses == [401] * FLOOD_REQUESTS
    assert [(status, answer) for status, answer, _ in signed_answers] == [
        (200, {"status": "accepted"})
    ] * SIGNED_DURING_FLOOD
    # Only the signed deliveries were stored: the flood wrote nothing (a row without an id fails the comparison).
    assert sorted(WebhookEvent.objects.values_list("tiktok_message_id", flat=True), key=str) == sorted(
        f"signed-{number}" for number in range(SIGNED_DURING_FLOOD)
    )
