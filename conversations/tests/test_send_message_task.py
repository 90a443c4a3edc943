"""The send_message actor on the real Redis broker with a real worker: retries, giving up, rate limit."""

import time

import pytest

from conversations.models import Message
from conversations.services import queue_outbound_message
from conversations.tasks import send_message
from philia.tests.factories import make_customer_who_wrote
from testing.tiktok import CONTENT_LIST_PATH, SEND_PATH, Reply, error
from testing.workers import running_worker
from tiktok.limits import book_send, shop_send_interval_ms

# transaction=True: the worker's threads must see the committed rows, and on_commit must enqueue.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("tiktok_settings")]


def test_throttled_send_is_retried_with_backoff_and_sent_once(fake_tiktok, dramatiq_worker):
    fake_tiktok.script(SEND_PATH, Reply(json=error(40100, "Too many requests")))

    message = queue_outbound_message(customer=make_customer_who_wrote(), text="Still available!", role="staff")
    dramatiq_worker.drain()

    message.refresh_from_db()
    assert (message.state, message.attempts) == ("sent", 2)
    assert len(fake_tiktok.calls(SEND_PATH)) == 2
    assert len(fake_tiktok.sends) == 1


def test_send_that_runs_out_of_retries_is_marked_failed(fake_tiktok, dramatiq_worker):
    fake_tiktok.script(SEND_PATH, Reply(json=error(51065, "System error")))
    customer = make_customer_who_wrote()
    message = Message.objects.create(customer=customer, role="staff", direction="outbound", state="queued", text="hi")

    send_message.send_with_options(args=(message.pk,), max_retries=0)
    dramatiq_worker.drain()

    message.refresh_from_db()
    assert (message.state, message.error_code) == ("failed", "51065")
    assert message.error == "Gave up after 1 tries. Last error: System error"
    assert fake_tiktok.sends == []


def test_the_rows_tries_not_the_jobs_retries_decide_when_a_send_is_given_up(fake_tiktok, dramatiq_worker, settings):
    # Tried twice already (the second a timeout that came back as a new job, whose retry count starts at 0):
    # one try is left, so TikTok is asked once more and the row fails, though this job has retries to spare.
    settings.OUTBOX_MAX_ATTEMPTS = 3
    fake_tiktok.script(SEND_PATH, Reply(status=503), Reply(status=503))
    message = Message.objects.create(
        customer=make_customer_who_wrote(),
        role="staff",
        direction="outbound",
        state="queued",
        text="hi",
        attempts=2,
    )

    send_message.send(message.pk)
    dramatiq_worker.drain()

    message.refresh_from_db()
    assert (message.state, message.attempts, message.error_code) == ("failed", 3, "HTTP 503")
    assert message.error.startswith("Gave up after 3 tries. Last error: ")
    assert len(fake_tiktok.calls(SEND_PATH)) == 1


def test_the_shops_send_slots_are_paced_at_the_configured_rate_across_customers(settings, dramatiq_broker):
    settings.TIKTOK_SENDS_PER_SECOND = 7
    assert shop_send_interval_ms() == 142

    first_asked = time.time() * 1000
    first = book_send("rate-anna")
    second_asked = time.time() * 1000
    second = book_send("rate-ben")

    # Each customer's own slot is free now; the shop's second slot comes one shop interval after the first.
    assert (first.wait_ms, first.booked) == (0, 2)
    assert second.booked == 2
    assert abs(second_asked + second.wait_ms - (first_asked + first.wait_ms) - 142) <= 10


def test_a_burst_of_sends_is_spread_out_by_the_rate_limit(fake_tiktok, dramatiq_worker, settings):
    settings.TIKTOK_SENDS_PER_SECOND = 2
    customer = make_customer_who_wrote()

    for number in range(8):
        queue_outbound_message(customer=customer, text=f"reply {number}", role="staff")
    dramatiq_worker.drain()

    assert Message.objects.filter(state="sent").count() == 8
    arrivals = sorted(call.at for call in fake_tiktok.calls(SEND_PATH))
    # 8 sends at 2 per one-second window need 4 windows: over 1.5 s from first to last (without the
    # limit, 4 worker threads send them all within a few tens of milliseconds).
    assert arrivals[-1] - arrivals[0] > 1.5


def test_a_send_that_finds_the_rate_limit_busy_is_requeued_without_spending_a_retry(
    fake_tiktok, dramatiq_worker, settings
):
    # One send a second: three of four sends at once wait for their slots (jobs queued before sends were shared
    # carry no customer: the shop's slots only).
    settings.TIKTOK_SENDS_PER_SECOND = 1
    customer = make_customer_who_wrote()
    messages = [
        Message.objects.create(customer=customer, role="staff", direction="outbound", state="queued", text=f"hi {n}")
        for n in range(4)
    ]

    for message in messages:
        send_message.send_with_options(args=(message.pk,), max_retries=0)
    dramatiq_worker.drain()

    assert sorted(Message.objects.filter(direction="outbound").values_list("state", flat=True)) == ["sent"] * 4
    assert len(fake_tiktok.sends) == 4


def test_send_taken_but_answered_late_is_delivered_once_and_ends_sent(fake_tiktok, dramatiq_worker, settings):
    settings.TIKTOK_HTTP_TIMEOUT = (1.0, 0.3)
    settings.OUTBOX_UNCONFIRMED_CHECK_SECONDS = 0.5
    fake_tiktok.script(SEND_PATH, Reply(delay=1.0))  # taken on arrival, answered after the read timeout

    message = queue_outbound_message(customer=make_customer_who_wrote(), text="Still available!", role="staff")
    dramatiq_worker.drain()

    message.refresh_from_db()
    assert (message.state, message.attempts, message.error_code) == ("sent", 1, "")
    assert [body["text"]["body"] for body in fake_tiktok.sends] == ["Still available!"]
    assert len(fake_tiktok.calls(CONTENT_LIST_PATH)) == 1


def test_send_timed_out_and_not_taken_is_sent_again_once_after_the_look_up(fake_tiktok, dramatiq_worker, settings):
    settings.TIKTOK_HTTP_TIMEOUT = (1.0, 0.3)
    settings.OUTBOX_UNCONFIRMED_CHECK_SECONDS = 0.5
    fake_tiktok.script(SEND_PATH, Reply(status=503, delay=1.0))  # timed out, and TikTok did not take it

    message = queue_outbound_message(customer=make_customer_who_wrote(), text="Still available!", role="staff")
    dramatiq_worker.drain()

    message.refresh_from_db()
    assert (message.state, message.attempts) == ("sent", 2)
    assert len(fake_tiktok.calls(SEND_PATH)) == 2
    assert [body["text"]["body"] for body in fake_tiktok.sends] == ["Still available!"]


def test_a_send_taken_by_tiktok_while_the_database_goes_away_is_recorded_sent_once_it_is_back(
    fake_tiktok, dramatiq_broker
):
    """The row is `sending`, TikTok takes the message, and writing down `sent` fails (the database went away):
    the broker keeps TikTok's answer and a job records it later. Never resent, never left `sending`."""
    from django.db import OperationalError, connection

    from conversations.outbox import send_outbound_message

    customer = make_customer_who_wrote()
    message = Message.objects.create(customer=customer, role="staff", direction="outbound", state="queued", text="hi")
    failed = []

    def database_gone_at_sent(execute, sql, params, many, context):
        if sql.startswith('UPDATE "conversations_message" SET "tiktok_message_id"') and not failed:
            failed.append(sql)
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(database_gone_at_sent):
        send_outbound_message(message_id=message.pk)
    message.refresh_from_db()
    assert failed and message.state == "sending"  # TikTok has it; the database does not know yet

    with running_worker(dramatiq_broker) as running:  # the worker starts once the database is back
        running.drain()

    message.refresh_from_db()
    assert message.state == "sent" and message.tiktok_message_id.startswith("fake-sent-")
    assert len(fake_tiktok.calls(SEND_PATH)) == 1  # never sent again
