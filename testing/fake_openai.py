"""A fake OpenAI-compatible API: a small real HTTP server on 127.0.0.1 that the official `openai`
client talks to, answering POST /v1/chat/completions with scripted replies.

    def test_...(ai_settings, fake_openai):
        fake_openai.script(
            tool_calls(("search_items", {"query": "nike", ...})),   # round 1: the model calls a tool
            respond(lambda request: text(f"Found: {last_tool_result(request)['items'][0]['sku']}")),
        )
        ...                                      # run the assistant
        fake_openai.requests                     # the JSON bodies it received, in order

Replies: `text(...)`, `tool_calls(...)`, `failure(status)` (an HTTP error), `Reply(delay=5)` (slow),
`respond(callable)` (built from the request, e.g. to echo a tool's result). When the script runs
out, the fake answers 500, so an unexpected call shows up as the assistant falling back.

Fixtures (registered in the root conftest.py): `fake_openai`, and `ai_settings`, which points the
assistant at it (key, base URL, model, no client retries, short timeouts).
"""

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from testing.http_fakes import FakeHTTPServer, read_json, write_reply

FAKE_MODEL = "fake-gpt"


@dataclass(frozen=True)
class Reply:
    status: int = 200
    json: dict[str, Any] | None = None
    build: Callable[[dict[str, Any]], "Reply"] | None = None  # make the reply from the request
    delay: float = 0.0
    body: bytes | None = None  # raw bytes (not JSON) instead of `json`


def completion(
    message: dict[str, Any], *, finish_reason: str, prompt_tokens: int, completion_tokens: int
) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": FAKE_MODEL,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": None}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def text(content: str, *, prompt_tokens: int = 120, completion_tokens: int = 30, delay: float = 0.0) -> Reply:
    """The model answers with text."""
    message = {"role": "assistant", "content": content, "refusal": None}
    return Reply(
        json=completion(
            message, finish_reason="stop", prompt_tokens=prompt_tokens, completion_tokens=completion_tokens
        ),
        delay=delay,
    )


def tool_calls(
    *calls: tuple[str, Any], prompt_tokens: int = 100, completion_tokens: int = 20, delay: float = 0.0
) -> Reply:
    """The model calls tools: each call is (name, arguments as a dict, or a raw string sent as is)."""
    message = {
        "role": "assistant",
        "content": None,
        "refusal": None,
        "tool_calls": [
            {
                "id": f"call_{number}",
                "type": "function",
                "function": {
                    "name": name,
                    "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments),
                },
            }
            for number, (name, arguments) in enumerate(calls, start=1)
        ],
    }
    return Reply(
        json=completion(
            message, finish_reason="tool_calls", prompt_tokens=prompt_tokens, completion_tokens=completion_tokens
        ),
        delay=delay,
    )


def failure(status: int = 500, message: str = "The fake is failing on purpose.") -> Reply:
    return Reply(
        status=status, json={"error": {"message": message, "type": "server_error", "param": None, "code": None}}
    )


def respond(build: Callable[[dict[str, Any]], Reply]) -> Reply:
    """A reply computed from the request body (e.g. from the tool results the assistant sent)."""
    return Reply(build=build)


def tool_results(request: dict[str, Any]) -> list[dict[str, Any]]:
    """The tool results (parsed JSON) the assistant sent in this request, in order."""
    return [json.loads(message["content"]) for message in request["messages"] if message.get("role") == "tool"]


def last_tool_result(request: dict[str, Any]) -> dict[str, Any]:
    return tool_results(request)[-1]


@dataclass
class FakeOpenAI(FakeHTTPServer):
    """A fake of the Chat Completions API on 127.0.0.1 (free port), in a thread."""

    thread_name = "fake-openai"
    path_prefix = "/v1"
    protocol_version = "HTTP/1.1"

    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    _script: deque[Reply] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def script(self, *replies: Reply) -> None:
        """The next requests get these replies, in order."""
        with self._lock:
            self._script.extend(replies)

    @property
    def remaining(self) -> int:
        with self._lock:
            return len(self._script)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        request = read_json(handler)
        with self._lock:
            self.requests.append(request)
            self.headers.append(dict(handler.headers.items()))
            reply = self._script.popleft() if self._script else failure(500, "No scripted reply left.")
        if handler.path.split("?", 1)[0] != "/v1/chat/completions":
            reply = failure(404, f"Unknown path {handler.path}")
        if reply.build is not None:
            reply = reply.build(request)
        if reply.delay:
            time.sleep(reply.delay)
        write_reply(handler, reply.status, reply.body if reply.body is not None else json.dumps(reply.json).encode())


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def ai_settings(settings: Any, fake_openai: FakeOpenAI) -> Any:
    """The AI assistant switched on and pointed at `fake_openai`: no client retries, short timeouts."""
    settings.OPENAI_API_KEY = "sk-test-fake"
    settings.OPENAI_BASE_URL = fake_openai.base_url
    settings.OPENAI_MODEL = FAKE_MODEL
    settings.AI_MAX_RETRIES = 0
    settings.AI_TIMEOUT_SECONDS = 2.0
    settings.AI_TURN_SECONDS = 10.0
    settings.AI_MAX_TOOL_ROUNDS = 4
    return settings
