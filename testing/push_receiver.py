"""A fake push endpoint for the owner's notifications (what ntfy, Discord or Slack would be): a real HTTP server on
127.0.0.1 that records each JSON POST and answers 200, or the statuses scripted for the next calls.

    def test_...(push_receiver, notify_settings):
        push_receiver.fail_next(500)          # the next POST gets a 500, later ones 200
        ...
        assert push_receiver.bodies == [{"event": "handoff", "text": ..., "url": ...}]
"""

import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from testing.http_fakes import FakeHTTPServer, read_json, write_reply


@dataclass
class PushReceiver(FakeHTTPServer):
    thread_name = "fake-push-receiver"
    bodies: list[Any] = field(default_factory=list)
    _statuses: deque = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, *statuses: int) -> None:
        self._statuses.extend(statuses)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        body = read_json(handler)
        with self._lock:
            status = self._statuses.popleft() if self._statuses else 200
            if status == 200:
                self.bodies.append(body)
        write_reply(handler, status, b'{"ok": true}' if status == 200 else b'{"error": "scripted"}')


@pytest.fixture
def push_receiver() -> Iterator[PushReceiver]:
    with PushReceiver() as receiver:
        yield receiver


@pytest.fixture
def notify_settings(settings: Any, push_receiver: PushReceiver) -> Any:
    """The owner told by email (Django's locmem backend in tests) and by a push to `push_receiver`, no digest."""
    settings.OWNER_EMAIL = "owner@shop.example"
    settings.OWNER_NOTIFY_URL = push_receiver.base_url + "/hook"
    settings.OWNER_NOTIFY_TIMEOUT = 5.0
    settings.OWNER_NOTIFY_DIGEST_SECONDS = 0
    settings.SITE_URL = "https://shop.example"
    return settings
