"""The plumbing the fake outside APIs share: a real HTTP server on 127.0.0.1 (a free port) in a thread,
that hands every POST (and GET) to the fake's `_handle` and writes JSON answers.

    @dataclass
    class FakeSomething(FakeHTTPServer):
        thread_name = "fake-something"
        path_prefix = "/api/v1"                  # what `base_url` ends with

        def _handle(self, handler):
            payload = read_json(handler)         # the request body, parsed (None when not JSON)
            write_reply(handler, 200, b'{"ok": true}')

    with FakeSomething() as fake:                # started, and stopped on the way out
        ...
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class FakeHTTPServer:
    """Start, stop and address of a threaded HTTP server; subclasses implement `_handle`."""

    thread_name = "fake-http"
    path_prefix = ""  # appended to the server's address in `base_url`
    protocol_version = "HTTP/1.0"  # http.server's default; "HTTP/1.1" keeps connections alive

    def start(self) -> Self:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = fake.protocol_version

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                fake._handle(self)

            def do_GET(self) -> None:  # noqa: N802
                fake._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # A short poll interval so stopping the server (every test) takes milliseconds, not half a second.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name=self.thread_name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{self.path_prefix}"

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        raise NotImplementedError


def read_json(handler: BaseHTTPRequestHandler) -> Any:
    """The request's body parsed as JSON; None when it is empty or not JSON."""
    raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
    try:
        return json.loads(raw or b"null")
    except ValueError:
        return None


def write_reply(handler: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
    """Answer with `body` as application/json; a client that already gave up (a timeout test) is fine."""
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
    except (BrokenPipeError, ConnectionResetError):
        pass
