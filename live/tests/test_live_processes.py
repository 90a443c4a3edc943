"""Races between real processes: `manage.py live` commands run at once, and claims handled by two worker
processes behind gunicorn. Each command race holds the rows the commands lock from the test until every process
waits on them, then lets them all go together, so the processes really meet at the lock on every run."""

import random
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator

import pytest
import requests
from django.conf import settings
from django.db import connection

from conversations.models import Message
from faults.harness import Process, wait_until
from inventory.models import DropClaim, DropItem, Item
from live import services
from live.models import ScreenSpan, Stream
from philia.tests.concurrency import locked_elsewhere
from philia.tests.factories import make_item
from philia.tests.shop_processes import BUSINESS_ID, TIKTOK_SECRET, ShopProcesses, shop_env, start_shop
from testing.tiktok import FakeTikTok
from tiktok.simulation import conversation_id_for, signed_customer_message

# transaction=True: the processes read what the test commits; slow: they start real processes.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

SKUS = ["VNT-LIVE-001", "VNT-LIVE-002", "VNT-LIVE-003"]


def command_env() -> dict[str, str]:
    """A `manage.py` process on the test database; it waits for a row lock as long as the test may take to let
    it go (the default LOCK_TIMEOUT_SECONDS could run out while the other process is still starting)."""
    return shop_env(DJANGO_SETTINGS_MODULE="philia.settings", LOG_LEVEL="WARNING", LOCK_TIMEOUT_SECONDS="60")


def waiting_on_locks() -> int:
    """How many other connections to the test database wait for a lock now."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
            "AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def run_against_lock(lock: Callable[[], object], commands: list[list[str]]) -> list[subprocess.CompletedProcess]:
    """Start `manage.py live ...` for each command while another connection holds what `lock` locks; release it
    once every process waits for it; each process's outcome (stdout, stderr as text)."""
    env = command_env()
    with locked_elsewhere(lock):
        processes = [
            subprocess.Popen(
                [sys.executable, "manage.py", "live", *command],
                cwd=settings.BASE_DIR,
                env=env,
                text=True,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for command in commands
        ]
        try:
            wait_until(
                lambda: waiting_on_locks() == len(commands), seconds=60, what="every process to wait", every=0.05
            )
        except AssertionError:
            for process in processes:
                process.kill()
            raise
    outcomes = []
    for process, command in zip(processes, commands, strict=True):
        stdout, stderr = process.communicate(timeout=60)
        outcomes.append(subprocess.CompletedProcess(command, process.returncode, stdout, stderr))
    return outcomes


def test_three_nexts_from_three_processes_at_once_show_three_different_pieces_one_after_the_other():
    for sku in SKUS:
        make_item(sku)
    stream = services.start_stream(stream_id=services.schedule_stream(title="Live", skus=SKUS).pk)

    outcomes = run_against_lock(
        lambda: Stream.objects.select_for_update(no_key=True).get(pk=stream.pk), [["next", str(stream.pk)]] * 3
    )

    assert [(outcome.returncode, outcome.stderr) for outcome in outcomes] == [(0, "")] * 3
    assert sorted(outcome.stdout for outcome in outcomes) == [f"{sku}\n" for sku in SKUS]
    spans = list(ScreenSpan.objects.filter(stream=stream).order_by("shown_from", "pk"))
    assert sorted(span.item.sku for span in spans) == SKUS
    assert all(earlier.shown_until == later.shown_from for earlier, later in zip(spans, spans[1:], strict=False))
    assert [span.shown_until is None for span in spans] == [False, False, True]


def test_two_streams_started_by_two_processes_at_once_one_goes_live_the_other_is_refused_in_one_line():
    make_item("VNT-LIVE-001")
    streams = [services.schedule_stream(title=title, skus=["VNT-LIVE-001"]) for title in ("A", "B")]
    ids = [stream.pk for stream in streams]

    outcomes = run_against_lock(
        lambda: list(Stream.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk")),
        [["start", str(stream_id)] for stream_id in ids],
    )

    live = Stream.objects.get(status="live")
    assert Stream.objects.filter(status="scheduled").count() == 1
    won, lost = sorted(outcomes, key=lambda outcome: outcome.returncode)
    assert (won.returncode, won.stdout, won.stderr) == (0, f"Stream {live.pk} is live: {live.title}\n", "")
    assert (lost.returncode, lost.stdout) == (1, "")
    assert lost.stderr == f"CommandError: Stream {live.pk} is live: end it before starting another.\n"


@pytest.fixture
def shop_with_two_workers(tmp_path) -> Iterator[tuple[ShopProcesses, FakeTikTok]]:
    """gunicorn and two `rundramatiq` processes (4 threads each) sending to a fake TikTok."""
    with FakeTikTok() as fake:
        env = shop_env(TIKTOK_API_BASE=fake.base_url, LOG_LEVEL="WARNING", TIKTOK_SENDS_PER_SECOND="100")
        shop = start_shop(env, tmp_path)
        second = Process(
            "worker-2",
            [sys.executable, "manage.py", "rundramatiq", "--processes", "1", "--threads", "4", "--skip-logging"],
            env={**env, "DRAMATIQ_NAMESPACE": shop.namespace},
            logs=tmp_path,
        )
        try:
            yield shop, fake
        finally:
            second.stop()
            shop.stop()


def post_claims(shop: ShopProcesses, claims: list[tuple[str, int]]) -> None:
    """Each (customer, TikTok time in ms) posts "mine!" to the shop, from threads all released at once."""
    barrier = threading.Barrier(len(claims), timeout=30)
    statuses: list[int] = []

    def post(username: str, written_ms: int) -> None:
        body, headers, _ = signed_customer_message(
            text="mine!", username=username, business_id=BUSINESS_ID, secret=TIKTOK_SECRET,
            message_id=f"claim-{username}", timestamp_ms=written_ms,
        )  # fmt: skip
        barrier.wait()
        statuses.append(
            requests.post(f"{shop.url}/webhooks/tiktok", data=body, headers=headers, timeout=30).status_code
        )

    threads = [threading.Thread(target=post, args=claim) for claim in claims]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [200] * len(claims)


def test_claims_handled_by_two_worker_processes_at_once_go_to_the_earliest_tiktok_time(shop_with_two_workers, settings):
    shop, fake = shop_with_two_workers
    settings.LIVE_SETTLE_SECONDS = 1.0  # stored on the piece's drop at Next: the workers settle by it
    make_item("VNT-LIVE-001", name="Red Varsity Jacket", price="120.00")
    stream = services.start_stream(stream_id=services.schedule_stream(title="Live", skus=["VNT-LIVE-001"]).pk)
    shown_ms = int(services.next_piece(stream_id=stream.pk).span.shown_from.timestamp() * 1000)
    rng = random.Random(20)
    offsets = rng.sample(range(1, 900), 16)
    claims = [(f"viewer{n:02d}", shown_ms + offset) for n, offset in enumerate(offsets)]
    rng.shuffle(claims)
    earliest = min(claims, key=lambda claim: claim[1])[0]

    post_claims(shop, claims)

    drop_item = DropItem.objects.get(item__sku="VNT-LIVE-001")
    wait_until(lambda: len(fake.sends) >= len(claims), seconds=60, what="every claim to be answered")
    drop_item.refresh_from_db()
    assert drop_item.winner is not None and drop_item.winner.username == earliest
    item = Item.objects.get(sku="VNT-LIVE-001")
    assert (item.status, item.held_by_id) == ("reserved", drop_item.winner_id)
    assert DropClaim.objects.filter(drop_item=drop_item).count() == len(claims)
    replies = Message.objects.filter(direction="outbound", in_reply_to__drop_claims__drop_item=drop_item)
    assert sorted(replies.values_list("customer__username", flat=True)) == sorted(user for user, _ in claims)
    sent_to = sorted(send["recipient"] for send in fake.sends)
    assert sent_to == sorted(conversation_id_for(user) for user, _ in claims)
    won = [send for send in fake.sends if send["text"]["body"].startswith("It's yours")]
    assert [send["recipient"] for send in won] == [conversation_id_for(earliest)]
