"""Drops: scheduled from the shell or the admin, invisible and unholdable before their time, settled to
the earliest TikTok timestamp among the claims the webhook received within the settling window."""

import random
import threading
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assistant import notices
from conversations.models import Message
from inventory.exceptions import DropBeingSettled, ItemNotDroppedYet
from inventory.models import Drop, DropClaim, DropItem, Item, WaitlistEntry
from inventory.selectors import live_drop_items, search_available_items
from inventory.services import claim_drop_item, remove_from_drop, reserve_item, schedule_drop
from philia.db import locking_transaction
from philia.tests.factories import make_customer, make_item
from testing.workers import delayed_jobs

DROP_AT = "2026-12-24T19:00:00+00:00"


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_schedule_drop_prints_the_drop_and_its_items():
    make_item("VNT-A-001", name="Nike Windbreaker")
    make_item("VNT-B-002", name="Levi's 501", price="60.00")

    output = run("schedule_drop", "--at", "2099-12-24T19:00:00+00:00", "--name", "Xmas", "vnt-b-002", "VNT-A-001")

    drop_id = DropItem.objects.first().drop_id
    assert output == (
        f"Scheduled 'Xmas' for 2099-12-24 19:00 UTC (drop {drop_id}):\n"
        "  VNT-A-001 · Nike Windbreaker · $45.00\n"
        "  VNT-B-002 · Levi's 501 · $60.00\n"
    )
    assert set(Item.objects.values_list("drops_at", flat=True)) == {datetime(2099, 12, 24, 19, tzinfo=UTC)}


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--at", "2099-12-24T19:00:00+00:00", "NOPE-404"], r"^No item with SKU NOPE-404\.$"),
        (["--at", "2099-12-24T19:00:00+00:00", "HELD-1"], r"^HELD-1 is held\.$"),
        (["--at", "2099-12-24T19:00:00+00:00", "SOLD-1"], r"^SOLD-1 is sold\.$"),
        (["--at", "2020-01-01T19:00:00+00:00", "FREE-1"], r"^The drop time 2020-01-01T19:00:00\+00:00 is not in the future\.$"),
        (["--at", "tomorrow", "FREE-1"], r"^--at 'tomorrow' is not an ISO 8601 time, e\.g\. 2026-12-24T19:00:00\+00:00\.$"),
        (["--at", "2099-12-24T19:00:00", "FREE-1"], r"^Give the drop time with its time zone, e\.g\. 2026-12-24T19:00:00\+00:00\.$"),
        (["--at", "2099-12-25T19:00:00+00:00", "IN-DROP-1"], r"^IN-DROP-1 is already in the upcoming drop 'First'\.$"),
    ],
    ids=["unknown", "held", "sold", "past", "not a time", "no time zone", "in another drop"],
)  # fmt: skip
@pytest.mark.django_db
def test_schedule_drop_refuses_with_a_one_line_reason(args, reason):
    make_item("HELD-1", held_by=make_customer(), held_until=timezone.now() + timedelta(hours=1))
    make_item("SOLD-1", status=Item.Status.SOLD)
    make_item("FREE-1")
    make_item("IN-DROP-1")
    schedule_drop(drops_at=timezone.now() + timedelta(days=1), skus=["IN-DROP-1"], name="First")
    drops_before = DropItem.objects.count()

    with pytest.raises(CommandError, match=reason):
        run("schedule_drop", *args)

    assert DropItem.objects.count() == drops_before
    assert Item.objects.get(sku="FREE-1").drops_at is None


@pytest.mark.django_db
def test_before_the_drop_its_items_are_on_no_listing_and_nobody_can_hold_them():
    drops_at = timezone.now() + timedelta(hours=2)
    make_item("VNT-NIKE-DROP", name="Nike Windbreaker")
    make_item("VNT-NIKE-OPEN", name="Nike Windbreaker")
    schedule_drop(drops_at=drops_at, skus=["VNT-NIKE-DROP"])

    assert [item.sku for item in search_available_items("nike")] == ["VNT-NIKE-OPEN"]
    assert list(Item.objects.free().values_list("sku", flat=True)) == ["VNT-NIKE-OPEN"]
    with pytest.raises(ItemNotDroppedYet, match=r"^VNT-NIKE-DROP drops at .* UTC; it cannot be held before then\.$"):
        reserve_item(sku="VNT-NIKE-DROP", customer=make_customer())
    with pytest.raises(CommandError, match=r"^VNT-NIKE-DROP drops at "):
        run("reserve", "VNT-NIKE-DROP", "--customer", "fan")

    later = drops_at + timedelta(seconds=1)
    assert sorted(Item.objects.free(now=later).values_list("sku", flat=True)) == [
        "VNT-NIKE-DROP",
        "VNT-NIKE-OPEN",
    ]


def dropped_item(*, seconds_ago: float = 10, sku: str = "VNT-DROP-001") -> tuple[Item, DropItem]:
    """An item whose drop time has just passed (scheduled in the future, then the clock moved on)."""
    item = make_item(sku, name="Drop Jacket")
    drop = schedule_drop(drops_at=timezone.now() + timedelta(hours=1), skus=[item.sku])
    drop.drops_at = timezone.now() - timedelta(seconds=seconds_ago)
    drop.save(update_fields=["drops_at"])
    Item.objects.filter(pk=item.pk).update(drops_at=drop.drops_at)
    item.refresh_from_db()
    return item, drop.drop_items.get()


def claim(item: Item, name: str, *, written_ms: int, message_id: str | None = None) -> tuple[DropClaim, Message]:
    customer = make_customer(name, last_inbound_at=timezone.now())
    message = Message.objects.create(
        customer=customer,
        role=Message.Role.USER,
        direction=Message.Direction.INBOUND,
        text="mine!",
        tiktok_message_id=message_id or f"msg-{name}",
    )
    recorded = claim_drop_item(item=item, customer=customer, message=message, written_at_ms=written_ms)
    assert recorded is not None
    return recorded, message


def replies() -> dict[str | None, str]:
    return dict(
        Message.objects.filter(role=Message.Role.ASSISTANT).values_list("in_reply_to__tiktok_message_id", "text")
    )


@pytest.mark.django_db
def test_the_earliest_tiktok_timestamp_wins_whatever_the_order_claims_were_recorded():
    item, drop_item = dropped_item()
    drop_ms = int(drop_item.drop.drops_at.timestamp() * 1000)
    written = {f"fan{n}": drop_ms + 500 + n * 7 for n in range(20)}
    names = list(written)
    random.Random(8).shuffle(names)
    received = {}
    for name in names:
        claim(item, name, written_ms=written[name])
        received[f"msg-{name}"] = drop_item.drop.drops_at + timedelta(seconds=1)

    assert notices.settle_drop_item(drop_item_id=drop_item.pk, received_at=received) is True
    assert notices.settle_drop_item(drop_item_id=drop_item.pk, received_at=received) is False

    item.refresh_from_db()
    assert (item.status, item.held_by_id) == (Item.Status.RESERVED, "fan0")
    answers = replies()
    assert len(answers) == 20
    assert answers["msg-fan0"].startswith("You got it! VNT-DROP-001 · Drop Jacket · $45 is yours: it's on hold for you")
    assert answers["msg-fan1"] == (
        "So close! Someone wrote a moment before you for VNT-DROP-001 · Drop Jacket · $45. You're #1 in line: "
        "I'll message you if it frees up."
    )
    assert "You're #19 in line" in answers["msg-fan19"]
    assert list(WaitlistEntry.objects.order_by("queued_at", "id").values_list("customer_id", flat=True)) == [
        f"fan{n}" for n in range(1, 20)
    ]
    assert DropItem.objects.get().winner_id == "fan0"


@pytest.mark.django_db
def test_settling_writes_every_claims_outcome_place_and_receipt_in_as_many_statements_for_thirty_as_for_three():
    statements = {}
    for count in (3, 30):
        item, drop_item = dropped_item(sku=f"VNT-DROP-{count:03d}")
        drops_at = drop_item.drop.drops_at
        drop_ms = int(drops_at.timestamp() * 1000)
        received = {}
        for n in range(count):
            claim(item, f"fan{count}-{n:02d}", written_ms=drop_ms + 100 + n)
            received[f"msg-fan{count}-{n:02d}"] = drops_at + timedelta(seconds=1, milliseconds=n)

        with CaptureQueriesContext(connection) as queries:
            assert notices.settle_drop_item(drop_item_id=drop_item.pk, received_at=received) is True
        statements[count] = len(queries)

        rows = DropClaim.objects.filter(drop_item=drop_item).order_by("written_at_ms")
        assert list(rows.values_list("customer_id", "outcome", "waitlist_place", "received_at")) == [
            (f"fan{count}-00", DropClaim.Outcome.WON, None, received[f"msg-fan{count}-00"])
        ] + [
            (f"fan{count}-{n:02d}", DropClaim.Outcome.LOST, n, received[f"msg-fan{count}-{n:02d}"])
            for n in range(1, count)
        ]
        assert (
            Message.objects.filter(role=Message.Role.ASSISTANT, in_reply_to__drop_claims__drop_item=drop_item).count()
            == count
        )
    assert statements[30] == statements[3]


@pytest.mark.django_db
def test_equal_timestamps_are_broken_by_tiktok_message_id():
    item, drop_item = dropped_item()
    same_ms = int(drop_item.drop.drops_at.timestamp() * 1000) + 100
    claim(item, "later-id", written_ms=same_ms, message_id="msg-b")
    claim(item, "earlier-id", written_ms=same_ms, message_id="msg-a")

    notices.settle_drop_item(drop_item_id=drop_item.pk, received_at={})

    assert Item.objects.get().held_by_id == "earlier-id"


@pytest.mark.django_db
def test_a_claim_written_before_the_drop_time_does_not_count():
    item, drop_item = dropped_item()
    drop_ms = int(drop_item.drop.drops_at.timestamp() * 1000)
    claim(item, "too-early", written_ms=drop_ms - 1)
    claim(item, "on-time", written_ms=drop_ms + 900)

    notices.settle_drop_item(drop_item_id=drop_item.pk, received_at={})

    assert Item.objects.get().held_by_id == "on-time"
    assert replies()["msg-too-early"].startswith("Your message came in before VNT-DROP-001 · Drop Jacket · $45 dropped")
    assert DropClaim.objects.get(customer_id="too-early").outcome == DropClaim.Outcome.EARLY


@pytest.mark.django_db
def test_a_claim_the_webhook_received_after_the_settling_window_does_not_count(settings):
    settings.DROP_SETTLE_SECONDS = 2
    item, drop_item = dropped_item()
    drops_at = drop_item.drop.drops_at
    drop_ms = int(drops_at.timestamp() * 1000)
    claim(item, "first-in", written_ms=drop_ms + 800)
    claim(item, "earlier-but-late", written_ms=drop_ms + 100)
    received = {
        "msg-first-in": drops_at + timedelta(seconds=1),
        "msg-earlier-but-late": drops_at + timedelta(seconds=3, milliseconds=1),
    }

    notices.settle_drop_item(drop_item_id=drop_item.pk, received_at=received)

    assert Item.objects.get().held_by_id == "first-in"
    late = DropClaim.objects.get(customer_id="earlier-but-late")
    assert (late.outcome, late.waitlist_place) == (DropClaim.Outcome.LATE, 1)


@pytest.mark.django_db
def test_while_a_drop_item_is_being_settled_it_cannot_be_held_and_after_it_claims_stop():
    item, drop_item = dropped_item()
    claim(item, "claimer", written_ms=int(drop_item.drop.drops_at.timestamp() * 1000) + 5)

    with pytest.raises(DropBeingSettled):
        reserve_item(sku=item.sku, customer=make_customer("sneaky"))
    notices.settle_drop_item(drop_item_id=drop_item.pk, received_at={})

    latecomer = make_customer("latecomer")
    message = Message.objects.create(
        customer=latecomer, role=Message.Role.USER, direction=Message.Direction.INBOUND, text="mine"
    )
    assert claim_drop_item(item=item, customer=latecomer, message=message, written_at_ms=0) is None


@pytest.mark.django_db
def test_a_piece_taken_out_of_its_next_drop_can_be_held_at_once():
    item = make_item("VNT-DROP-001")
    schedule_drop(drops_at=timezone.now() + timedelta(hours=2), skus=[item.sku])

    remove_from_drop(item=item)

    assert reserve_item(sku=item.sku, customer=make_customer()).status == Item.Status.RESERVED


@pytest.mark.django_db
def test_a_piece_taken_out_of_its_next_drop_while_its_last_one_is_being_settled_still_cannot_be_held():
    item, drop_item = dropped_item()
    claim(item, "claimer", written_ms=int(drop_item.drop.drops_at.timestamp() * 1000) + 5)
    schedule_drop(drops_at=timezone.now() + timedelta(hours=2), skus=[item.sku])

    remove_from_drop(item=item)

    with pytest.raises(DropBeingSettled):
        reserve_item(sku=item.sku, customer=make_customer("sneaky"))


@pytest.mark.django_db
def test_a_customers_second_claim_keeps_their_earliest():
    item, drop_item = dropped_item()
    drop_ms = int(drop_item.drop.drops_at.timestamp() * 1000)
    claim(item, "twice", written_ms=drop_ms + 50, message_id="msg-second")
    first = Message.objects.create(
        customer_id="twice",
        role=Message.Role.USER,
        direction=Message.Direction.INBOUND,
        text="mine",
        tiktok_message_id="msg-first",
    )

    again = claim_drop_item(item=item, customer=first.customer, message=first, written_at_ms=drop_ms + 10)

    assert DropClaim.objects.count() == 1
    assert (again.written_at_ms, again.tiktok_message_id) == (drop_ms + 10, "msg-first")


# transaction=True: the settling job runs in a real worker on Redis and must see committed claims.
@pytest.mark.django_db(transaction=True)
def test_claims_are_rows_so_a_lost_settling_job_is_redone_by_the_sweep(dramatiq_broker, dramatiq_worker):
    item, drop_item = dropped_item()
    drop_ms = int(drop_item.drop.drops_at.timestamp() * 1000)
    claim(item, "second", written_ms=drop_ms + 20)
    claim(item, "first", written_ms=drop_ms + 10)
    dramatiq_broker.flush_all()  # the worker died with the settling job: only the rows are left
    DropItem.objects.update(first_claim_at=timezone.now() - timedelta(minutes=5))

    from inventory import tasks

    tasks.sweep_unsettled_drops.fn()
    dramatiq_worker.drain()

    assert Item.objects.get().held_by_id == "first"
    assert set(replies()) == {"msg-first", "msg-second"}


@pytest.mark.django_db
def test_a_drop_is_live_for_minutes_after_its_time_then_only_while_a_claim_waits_to_be_settled(settings):
    settings.DROP_CLAIM_MINUTES = 10
    item, drop_item = dropped_item(seconds_ago=9 * 60)
    live_at_first = [piece.sku for piece in live_drop_items()]
    Drop.objects.filter(pk=drop_item.drop_id).update(drops_at=timezone.now() - timedelta(minutes=11))
    live_later = [piece.sku for piece in live_drop_items()]
    claim(item, "claimer", written_ms=int(timezone.now().timestamp() * 1000))
    live_while_claimed = [piece.sku for piece in live_drop_items()]
    notices.settle_drop_item(drop_item_id=drop_item.pk, received_at={})

    assert (live_at_first, live_later, live_while_claimed) == (["VNT-DROP-001"], [], ["VNT-DROP-001"])
    assert live_drop_items() == []


@pytest.mark.django_db
def test_a_dropped_piece_the_owner_held_by_hand_is_not_live():
    item, _ = dropped_item()
    reserve_item(sku=item.sku, customer=make_customer("friend"))

    assert live_drop_items() == []


# transaction=True: each claim and the settlement run in their own thread and connection, with real row locks.
@pytest.mark.django_db(transaction=True)
def test_claims_go_in_side_by_side_and_the_settlement_waits_for_a_claim_still_open() -> None:
    item, drop_item = dropped_item()
    drop_ms = int(drop_item.drop.drops_at.timestamp() * 1000)
    claim(item, "first", written_ms=drop_ms + 10)  # marks the drop item's first claim
    open_claim, release = threading.Event(), threading.Event()
    settled: list[bool] = []

    def slow_claim() -> None:
        try:
            with transaction.atomic():
                claim(item, "slow", written_ms=drop_ms + 1)
                open_claim.set()
                release.wait(10)
        finally:
            connection.close()

    def settle() -> None:
        try:
            received = {f"msg-{name}": drop_item.drop.drops_at for name in ("first", "slow", "other")}
            settled.append(notices.settle_drop_item(drop_item_id=drop_item.pk, received_at=received))
        finally:
            connection.close()

    claimer = threading.Thread(target=slow_claim)
    claimer.start()
    assert open_claim.wait(10)
    # Another customer's claim does not wait for the open one (a second's lock_timeout would raise Busy).
    with override_settings(LOCK_TIMEOUT_SECONDS=1), locking_transaction():
        claim(item, "other", written_ms=drop_ms + 20)
    settler = threading.Thread(target=settle)
    settler.start()
    settler.join(0.5)
    assert settler.is_alive(), "the settlement went ahead while a claim was still open"
    release.set()
    claimer.join(10)
    settler.join(10)

    assert settled == [True]
    assert DropItem.objects.get().winner_id == "slow"  # the open claim counted: earliest timestamp
    assert sorted(DropClaim.objects.values_list("customer_id", flat=True)) == ["first", "other", "slow"]


# transaction=True: the claims run in their own threads and connections, with real row locks; the settling jobs
# they schedule go to the real broker after their commits.
@pytest.mark.django_db(transaction=True)
def test_first_claims_at_the_same_moment_all_go_in_and_schedule_one_settlement(dramatiq_broker) -> None:
    item, drop_item = dropped_item()
    drop_ms = int(drop_item.drop.drops_at.timestamp() * 1000)
    messages = [
        Message.objects.create(
            customer=make_customer(f"fan{n}"),
            role=Message.Role.USER,
            direction=Message.Direction.INBOUND,
            text="mine!",
            tiktok_message_id=f"msg-fan{n}",
        )
        for n in range(8)
    ]
    barrier = threading.Barrier(len(messages), timeout=10)
    errors: list[BaseException] = []

    def first_claim(message: Message) -> None:
        try:
            barrier.wait()
            claim_drop_item(item=item, customer=message.customer, message=message, written_at_ms=drop_ms + message.pk)
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=first_claim, args=(message,)) for message in messages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert sorted(DropClaim.objects.values_list("customer_id", flat=True)) == [f"fan{n}" for n in range(8)]
    assert DropItem.objects.get().first_claim_at is not None
    assert delayed_jobs(dramatiq_broker) == 1
