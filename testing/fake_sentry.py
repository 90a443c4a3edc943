"""Sentry as the tests see it: a small real HTTP server on 127.0.0.1 standing in for Sentry's ingest endpoint. The
real sentry-sdk — in a shop process started with `SENTRY_DSN=fake_sentry.dsn` — sends its envelopes to it exactly
as it would to sentry.io.

    def test_...(fake_sentry):
        ...                                                  # a process with SENTRY_DSN=fake_sentry.dsn fails
        event = fake_sentry.wait_for_event(lambda event: event["tags"].get("order_id") == "12")
        assert "what the customer wrote" not in fake_sentry.everything_received()

What arrives is an envelope (https://develop.sentry.dev/sdk/data-model/envelopes/), gzip-compressed, posted to
`/api/<project id>/envelope/`: a header line, then items, each a header line and a payload (of the header's
`length` when it has one, else up to the next newline). `fake_sentry.envelopes` are the parsed envelopes,
`fake_sentry.events` the payloads of their `event` items (errors), `everything_received()` every body
decompressed, for asserting what never left.
"""

import gzip
import json
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from testing.http_fakes import FakeHTTPServer, write_reply

PUBLIC_KEY = "fakepublickey0123456789abcdef00"
PROJECT_ID = "42"


@dataclass
class Envelope:
    header: dict[str, Any]
    items: list[tuple[dict[str, Any], bytes]]

    def payloads(self, item_type: str) -> list[Any]:
        return [json.loads(payload) for header, payload in self.items if header.get("type") == item_type]


def parse_envelope(body: bytes) -> Envelope:
    header_line, _, rest = body.partition(b"\n")
    items = []
    while rest.strip():
        item_header_line, _, rest = rest.partition(b"\n")
        item_header = json.loads(item_header_line)
        length = item_header.get("length")
        if length is None:
            payload, _, rest = rest.partition(b"\n")
        else:
            payload, rest = rest[:length], rest[length:].removeprefix(b"\n")
        items.append((item_header, payload))
    return Envelope(json.loads(header_line), items)


def decompress(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    if encoding == "br":
        import brotli  # the SDK only uses it when it is installed, and then so is it here

        return brotli.decompress(body)
    return body


@dataclass
class FakeSentry(FakeHTTPServer):
    thread_name = "fake-sentry"
    protocol_version = "HTTP/1.1"  # the SDK keeps its connection alive

    envelopes: list[Envelope] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # paths or keys it would not take
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    @property
    def dsn(self) -> str:
        return f"http://{PUBLIC_KEY}@127.0.0.1:{self._server.server_address[1]}/{PROJECT_ID}"

    @property
    def events(self) -> list[dict[str, Any]]:
        with self._arrived:
            return [event for envelope in self.envelopes for event in envelope.payloads("event")]

    def everything_received(self) -> str:
        with self._arrived:
            return "\n".join(body.decode("utf-8", errors="replace") for body in self.bodies)

    def wait_for_event(self, matches: Callable[[dict[str, Any]], bool], *, seconds: float = 30) -> dict[str, Any]:
        """The first error event for which `matches` is true, waiting up to `seconds` for it to arrive."""
        deadline = time.monotonic() + seconds
        with self._arrived:
            while True:
                found = [event for envelope in self.envelopes for event in envelope.payloads("event") if matches(event)]
                if found:
                    return found[0]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"no matching Sentry event in {seconds:g} s; got {len(self.envelopes)} envelopes"
                    )
                self._arrived.wait(left)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        if handler.path != f"/api/{PROJECT_ID}/envelope/" or f"sentry_key={PUBLIC_KEY}" not in handler.headers.get(
            "X-Sentry-Auth", ""
        ):
            with self._arrived:
                self.refused.append(handler.path)
            write_reply(handler, 403, b'{"detail": "unknown project or key"}')
            return
        body = decompress(raw, handler.headers.get("Content-Encoding", ""))
        envelope = parse_envelope(body)
        with self._arrived:
            self.bodies.append(body)
            self.envelopes.append(envelope)
            self._arrived.notify_all()
        write_reply(handler, 200, json.dumps({"id": envelope.header.get("event_id") or uuid.uuid4().hex}).encode())


@pytest.fixture(scope="module")
def fake_sentry() -> Iterator[FakeSentry]:
    """One fake Sentry for a test module, so the shop processes a module starts once can report to it; events add
    up over its tests (find yours with `wait_for_event`)."""
    with FakeSentry() as fake:
        yield fake
