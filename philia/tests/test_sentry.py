"""Errors to Sentry, with the real sentry-sdk in real shop processes — gunicorn and `rundramatiq`, started with
SENTRY_DSN (philia/tests/shop_processes.py) — sending to a fake Sentry on 127.0.0.1 (testing/fake_sentry.py): a
failing job and a failing request arrive with their tags and without a word a customer wrote (unless
SENTRY_SEND_PII), and their JSON log lines carry the same ids; without SENTRY_DSN, sentry_sdk is never imported.
(test_sentry_unreachable.py: a Sentry that cannot be reached.)"""

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests
from django.conf import settings

from conversations.models import Customer, Message
from faults.harness import wait_until
from orders.models import Order
from philia.tests.failing import FAILING_QUEUE
from philia.tests.shop_processes import ShopProcesses, log_lines, shop_env, start_shop
from testing.fake_sentry import FakeSentry

# What a customer wrote, and who they are: neither may reach Sentry.
CUSTOMER_TEXT = "where is my order? I'm at 12 Rose Lane, Leeds, call me on 07700 900123"
CUSTOMER_NAME = "anna_vintage"


@pytest.fixture(scope="module")
def reporting_shop(
    fake_sentry: FakeSentry, django_db_setup: None, django_db_blocker, tmp_path_factory
) -> Iterator[ShopProcesses]:
    """gunicorn and a worker reporting to the fake Sentry, with JSON logs."""
    with django_db_blocker.unblock():
        env = shop_env(SENTRY_DSN=fake_sentry.dsn, LOG_FORMAT="json")
    shop = start_shop(env, tmp_path_factory.mktemp("sentry-shop"))
    try:
        yield shop
    finally:
        shop.stop()


def order_question(number: int) -> tuple[Order, Message]:
    customer = Customer.objects.create(
        tiktok_user_id=f"sim-anna-{number}", username=CUSTOMER_NAME, display_name="Anna Berry",
        conversation_id=f"conv-anna-{number}",
    )  # fmt: skip
    order = Order.objects.create(customer=customer, status="pending")
    message = Message.objects.create(customer=customer, role="user", direction="inbound", text=CUSTOMER_TEXT)
    return order, message


@pytest.mark.slow
# transaction=True: the worker, another process, reads the rows this test commits.
@pytest.mark.django_db(transaction=True)
def test_a_failing_job_reaches_sentry_with_its_ids_and_without_the_customers_words(reporting_shop, fake_sentry):
    order, message = order_question(1)

    reporting_shop.enqueue("answer_order_question", order.pk, "conv-anna-1", message.pk, queue_name=FAILING_QUEUE)

    event = fake_sentry.wait_for_event(lambda event: event.get("tags", {}).get("order_id") == str(order.pk))
    [exception] = event["exception"]["values"]
    assert (exception["type"], exception["value"]) == (
        "OrderQuestionFailed",
        "the order question could not be answered",
    )
    assert exception["mechanism"]["type"] == "dramatiq"
    assert event["tags"] == {"order_id": str(order.pk), "conversation_id": "conv-anna-1", "message_id": str(message.pk)}
    assert (event["environment"], event["release"]) == ("tests", "philia@tests")
    [breadcrumb] = [crumb for crumb in event["breadcrumbs"]["values"] if crumb.get("message") == "order question read"]
    assert breadcrumb["data"]["text"] == "[Filtered]"
    assert not any("vars" in frame for frame in exception["stacktrace"]["frames"])
    assert CUSTOMER_TEXT not in fake_sentry.everything_received()
    assert "Rose Lane" not in fake_sentry.everything_received()
    # The same job in the worker's JSON log: one object a line, with the job's ids as fields.
    [line] = wait_until(
        lambda: [line for line in log_lines(reporting_shop.worker) if line.get("message") == "order question read"],
        seconds=10, what="the job's log line", every=0.2,
    )  # fmt: skip
    assert (line["level"], line["logger"], line["order_id"], line["conversation_id"], line["message_id"]) == (
        "INFO", "philia.tests.failing", order.pk, "conv-anna-1", message.pk,
    )  # fmt: skip
    assert line["time"].endswith("Z")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_failing_request_reaches_sentry_with_its_ids_and_without_the_customers_words(reporting_shop, fake_sentry):
    # A scanner's request for a host the shop is not: 400, and not an error of the shop's (no event).
    assert (
        requests.get(f"{reporting_shop.url}/health", headers={"Host": "scanner.example"}, timeout=10).status_code == 400
    )

    response = requests.post(
        f"{reporting_shop.url}/failing/orders/4242/question",
        json={"text": CUSTOMER_TEXT, "username": CUSTOMER_NAME},
        timeout=10,
    )

    assert response.status_code == 500
    event = fake_sentry.wait_for_event(lambda event: event.get("tags", {}).get("order_id") == "4242")
    [exception] = event["exception"]["values"]
    assert exception["type"] == "OrderQuestionFailed"
    assert exception["mechanism"]["type"] == "django"
    assert event["tags"] == {"order_id": "4242"}
    assert (event["environment"], event["release"]) == ("tests", "philia@tests")
    assert event["request"]["url"].endswith("/failing/orders/4242/question")
    assert event["request"]["method"] == "POST"
    assert "data" not in event["request"] or event["request"]["data"] in ("", None)
    [breadcrumb] = [
        crumb for crumb in event["breadcrumbs"]["values"] if crumb.get("message") == "order question posted"
    ]
    assert breadcrumb["data"] == {"text": "[Filtered]", "customer": "[Filtered]", "order_id": 4242}
    received = fake_sentry.everything_received()
    assert CUSTOMER_TEXT not in received
    assert CUSTOMER_NAME not in received
    assert "scanner.example" not in received  # its event would have been sent before this one
    # The web process's JSON log: the page's own line with the order's id, and Django's error with its traceback.
    lines = wait_until(
        lambda: [line for line in log_lines(reporting_shop.web) if line.get("order_id") == 4242],
        seconds=10, what="the request's log lines", every=0.2,
    )  # fmt: skip
    assert [(line["logger"], line["message"]) for line in lines] == [
        ("philia.tests.failing", "order question posted"),
        ("django.request", "Internal Server Error: /failing/orders/4242/question"),
    ]
    assert "OrderQuestionFailed: the order question could not be answered" in lines[1]["exc_info"]
    # gunicorn's own lines are JSON too, its access log (written once the answer is sent) included.
    wait_until(
        lambda: [
            line
            for line in log_lines(reporting_shop.web)
            if line["logger"] == "gunicorn.access" and '"POST /failing/orders/4242/question HTTP/1.1" 500' in line["message"]
        ],
        seconds=10, what="the request's access log line", every=0.2,
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_with_send_pii_on_the_customers_words_go_with_the_error(fake_sentry, tmp_path):
    shop = start_shop(shop_env(SENTRY_DSN=fake_sentry.dsn, SENTRY_SEND_PII="true"), tmp_path)
    try:
        response = requests.post(
            f"{shop.url}/failing/orders/5151/question",
            json={"text": CUSTOMER_TEXT, "username": CUSTOMER_NAME},
            timeout=10,
        )
        event = fake_sentry.wait_for_event(lambda event: event.get("tags", {}).get("order_id") == "5151")
    finally:
        shop.stop()

    assert response.status_code == 500
    assert event["request"]["data"] == {"text": CUSTOMER_TEXT, "username": CUSTOMER_NAME}
    [breadcrumb] = [
        crumb for crumb in event["breadcrumbs"]["values"] if crumb.get("message") == "order question posted"
    ]
    assert (breadcrumb["data"]["text"], breadcrumb["data"]["customer"]) == (CUSTOMER_TEXT, CUSTOMER_NAME)
    [frame] = [
        frame
        for frame in event["exception"]["values"][0]["stacktrace"]["frames"]
        if frame["function"] == "order_question_page"
    ]
    assert frame["vars"]["customer_text"] == repr(CUSTOMER_TEXT)


SENTRY_MODULES_SCRIPT = """
import json, sys, threading
from django.utils.module_loading import autodiscover_modules
from philia.wsgi import application  # the settings, every app, the urls
from django.urls import resolve
resolve("/metrics")
autodiscover_modules("tasks")  # every actor, as a worker loads them
print(json.dumps({
    "sentry_modules": sorted(
        name for name, module in sys.modules.items() if name.split(".")[0] == "sentry_sdk" and module is not None
    ),
    "threads": sorted(thread.name for thread in threading.enumerate()),
}))
"""


@pytest.mark.parametrize("dsn", ["", "http://key@127.0.0.1:9/1"], ids=["without SENTRY_DSN", "with SENTRY_DSN"])
def test_sentry_sdk_is_imported_only_with_a_sentry_dsn(dsn):
    result = subprocess.run(
        [sys.executable, "-c", SENTRY_MODULES_SCRIPT],
        cwd=settings.BASE_DIR,
        env={
            **os.environ, "DJANGO_SETTINGS_MODULE": "philia.settings", "SENTRY_DSN": dsn, "DEBUG": "false",
            "SECRET_KEY": "sentry-tests-only-not-a-real-key",
        },
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.splitlines()[-1])
    if dsn:
        assert "sentry_sdk.integrations.dramatiq" in loaded["sentry_modules"]
    else:
        assert loaded == {"sentry_modules": [], "threads": ["MainThread"]}
