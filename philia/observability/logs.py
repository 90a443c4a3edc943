"""How log lines are written (LOGGING in philia/settings.py): readable text by default; with LOG_FORMAT=json one
JSON object a line, for a log shipper (docs/operations.md, "Logs").

    {"time": "2026-12-06T20:31:07.412Z", "level": "ERROR", "logger": "tiktok.services",
     "message": "tiktok event failed", "event_id": 812, "attempts": 3, "final": false,
     "conversation_id": "conv-123", "exc_info": "Traceback (most recent call last): ..."}

Each record's `extra=` fields become fields of their own, and so do the ids of the work in hand (`ids.py`).
"""

import logging
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from philia.observability.ids import current_ids


class WithWorkIds(logging.Filter):
    """Puts the ids of the work in hand on each record (a field the log call set itself is left as it is)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in current_ids().items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


class JsonLines(JsonFormatter):
    """One JSON object a line: `time` (UTC, ISO 8601, milliseconds), `level`, `logger`, `message`, then the
    record's own fields (`extra=`, the work's ids) and, for an exception, `exc_info` with its traceback."""

    def __init__(self, **options: Any) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s", rename_fields={"levelname": "level", "name": "logger"}, **options
        )

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]) -> None:
        moment = datetime.fromtimestamp(record.created, tz=UTC)
        log_data["time"] = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        super().add_fields(log_data, record, message_dict)


def logging_config(*, format: str, level: str) -> dict[str, Any]:
    """LOGGING for `format` ("text" or "json") at `level`: every record to stderr with the work's ids on it."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"ids": {"()": "philia.observability.logs.WithWorkIds"}},
        "formatters": {
            "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
            "json": {"()": "philia.observability.logs.JsonLines"},
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": format, "filters": ["ids"]}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"django.db.backends": {"level": "WARNING"}, "apscheduler": {"level": "WARNING"}},
    }
