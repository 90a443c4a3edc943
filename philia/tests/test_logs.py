"""Log lines: readable text by default; with LOG_FORMAT=json one JSON object a line with time, level, logger,
message, the record's `extra=` fields and the ids of the work in hand (a job's arguments, a request's URL).
(test_sentry.py reads the JSON lines of real gunicorn and rundramatiq processes.)"""

import io
import json
import logging
import re
import runpy
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

import dramatiq
import pytest
from django.conf import settings
from django.urls import resolve

from philia.observability.ids import bind_ids, clear_ids, current_ids, ids_of_call, ids_of_url
from philia.observability.logs import JsonLines, WithWorkIds

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ids_seen_by_jobs: list[dict[str, object]] = []


@dramatiq.actor(max_retries=0, time_limit=10_000)
def note_the_ids_of_this_job(order_id: int, conversation: str, quantity: int = 1) -> None:
    ids_seen_by_jobs.append(dict(current_ids()))


@pytest.fixture
def json_log() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger writing through the shop's JSON handler set-up (LOGGING with LOG_FORMAT=json) into a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines())
    handler.addFilter(WithWorkIds())
    logger = logging.getLogger("philia.tests.json_log")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield logger, stream
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
        clear_ids()


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_json_line_has_time_level_logger_message_and_the_extra_fields(json_log):
    logger, stream = json_log

    logger.info("order placed", extra={"order": 12, "total": Decimal("45.00"), "until": datetime(2026, 12, 6, 18)})

    [line] = lines(stream)
    assert TIME.match(line.pop("time"))
    assert line == {
        "level": "INFO",
        "logger": "philia.tests.json_log",
        "message": "order placed",
        "order": 12,
        "total": "45.00",
        "until": "2026-12-06T18:00:00",
    }


def test_the_ids_of_the_work_in_hand_are_fields_of_every_line_and_an_exception_its_traceback(json_log):
    logger, stream = json_log
    bind_ids({"event_id": 812, "conversation_id": "conv-123", "customer": "anna"})

    try:
        raise ValueError("no such size")
    except ValueError:
        logger.exception("tiktok event failed", extra={"attempts": 3, "event_id": 812})

    [line] = lines(stream)
    assert (line["level"], line["message"], line["attempts"]) == ("ERROR", "tiktok event failed", 3)
    assert (line["event_id"], line["conversation_id"]) == (812, "conv-123")
    assert "customer" not in line  # not an id: names never ride along
    assert line["exc_info"].startswith("Traceback (most recent call last):")
    assert line["exc_info"].endswith("ValueError: no such size")


def test_a_jobs_arguments_are_its_ids_while_it_runs(dramatiq_worker):
    ids_seen_by_jobs.clear()

    note_the_ids_of_this_job.send(12, "conv-123", quantity=2)
    note_the_ids_of_this_job.send(13, "event-99")  # a conversation key for an event without a conversation
    dramatiq_worker.drain()

    assert sorted(ids_seen_by_jobs, key=lambda ids: ids["order_id"]) == [
        {"order_id": 12, "conversation_id": "conv-123"},
        {"order_id": 13},
    ]


def test_the_ids_of_a_call_are_read_by_parameter_name():
    def handle_event(event_id: int, conversation: str | None = None) -> None: ...

    assert ids_of_call(handle_event, (7,), {"conversation": "conv-1"}) == {"event_id": 7, "conversation_id": "conv-1"}
    assert ids_of_call(handle_event, (7, None), {}) == {"event_id": 7}
    assert ids_of_call(handle_event, (), {"unknown": 1}) == {}  # arguments that do not fit: no ids, the job fails


@pytest.mark.parametrize(
    ("path", "ids"),
    [
        ("/admin/orders/order/12/change/", {"order_id": "12"}),
        ("/admin/tiktok/webhookevent/812/change/", {"event_id": "812"}),
        ("/admin/conversations/message/5/delete/", {"message_id": "5"}),
        ("/admin/conversations/customer/anna/change/", {}),  # a customer's id is who they are: not a tag
        ("/admin/orders/order/", {}),
        ("/health", {}),
    ],
)
def test_the_ids_of_a_request_are_read_from_its_url(path, ids):
    assert ids_of_url(resolve(path)) == ids


def test_logs_are_text_unless_log_format_says_json(monkeypatch):
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    assert runpy.run_path(str(settings.BASE_DIR / "philia" / "settings.py"))["LOGGING"]["handlers"]["console"] == {
        "class": "logging.StreamHandler",
        "formatter": "text",
        "filters": ["ids"],
    }

    monkeypatch.setenv("LOG_FORMAT", "JSON")
    try:
        loaded = runpy.run_path(str(settings.BASE_DIR / "philia" / "settings.py"))
    finally:
        logging.captureWarnings(False)  # what LOG_FORMAT=json turned on for the process
    assert loaded["LOGGING"]["handlers"]["console"]["formatter"] == "json"
    assert loaded["LOGGING"]["formatters"]["json"] == {"()": "philia.observability.logs.JsonLines"}
