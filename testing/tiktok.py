"""TikTok as the tests see it: deliveries signed exactly as TikTok signs them, and a fake Business
Messaging API — a small real HTTP server on 127.0.0.1 that the real client talks to.

Reuse from any test:

    from testing.tiktok import sign, im_receive_msg_body, post_webhook

    body = im_receive_msg_body("is the denim jacket still available?", user="anna")
    response = post_webhook(client, body)                      # signed with settings.TIKTOK_APP_SECRET
    response = post_webhook(client, body, secret="wrong")      # or any secret / t / header you like

Fixtures (registered in the root conftest.py):

- `tiktok_settings`: a secret, a business id, TikTok's API pointed at `fake_tiktok`, an access token,
  no OpenAI key. Use it in any test that posts webhooks or sends messages.
- `fake_tiktok`: the running `FakeTikTok`. `fake_tiktok.sends` are the send requests it took (JSON
  bodies), `fake_tiktok.script("/business/message/send/", Reply(json=error(40100)), ...)` makes the
  next calls answer with the given replies (then back to success), `Reply(delay=2)` answers slowly.
  Images: `fake_tiktok.image_send_allowed = False` makes the capabilities check (GET
  /business/message/capabilities/get/, its query in `calls(CAPABILITIES_PATH)[i].query`) say no;
  `fake_tiktok.uploads` are the multipart uploads it took (`business_id`, `media_type`, `file_name`,
  `content_type`, `content`), each answered with a new `media_id`; an IMAGE send with a media id it never
  issued (or one `forget_media` expired) gets 40002.
- A send is taken when it arrives, before any `Reply.delay`: `Reply(delay=5)` on a send is "TikTok accepted
  it but answered after the client's read timeout". Taken messages are listed, newest first, by GET
  /business/message/content/list/ (`business_id`, `conversation_id`, `conversation_type`), as
  `data.messages[]` of `{message_id, timestamp, type, from_user, to_user, text}`.
- `fake_tiktok.fail_for(SEND_PATH, 60, Reply(status=503), Reply(json=error(40100)), ...)`: for the next 60
  seconds the calls to that path get these replies in turn (a cycle), then normal answers again.
"""

import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import default as email_policy
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl

import pytest

from testing.http_fakes import FakeHTTPServer, read_json, write_reply
from tiktok.envelopes import MARK_READ, RECEIVE_MESSAGE, RECEIVE_MESSAGE_EU, SEND_MESSAGE
from tiktok.signatures import signature_header
from tiktok.simulation import conversation_id_for, customer_message_content, envelope_body, new_message_id, user_id_for

TEST_SECRET = "test-app-secret"
TEST_BUSINESS_ID = "biz-open-id"
TEST_ACCESS_TOKEN = "test-access-token"
SEND_PATH = "/business/message/send/"
UPLOAD_PATH = "/business/message/media/upload/"
CAPABILITIES_PATH = "/business/message/capabilities/get/"
REFRESH_PATH = "/tt_user/oauth2/refresh_token/"
CONTENT_LIST_PATH = "/business/message/content/list/"
API_PREFIX = "/open_api/v1.3"

__all__ = [
    "FakeTikTok",
    "Reply",
    "error",
    "sign",
    "post_webhook",
    "im_receive_msg_body",
    "im_send_msg_body",
    "im_receive_msg_eu_body",
    "im_mark_read_msg_body",
    "user_id_for",
    "conversation_id_for",
    "new_message_id",
]


# --- Deliveries -----------------------------------------------------------------------------------


def sign(body: bytes, secret: str = TEST_SECRET, t: int | None = None) -> str:
    """The `TikTok-Signature` header value for `body`: `t=<unix seconds>,s=<hex HMAC-SHA256 of "t.body">`."""
    return signature_header(body=body, secret=secret, timestamp=int(time.time()) if t is None else t)


def post_webhook(
    client: Any, body: bytes, *, secret: str | None = None, t: int | None = None, header: str | None = None
):
    """POST a delivery to /webhooks/tiktok with Django's test client (or anything with the same `post`).
    Signs with `secret` (default: settings.TIKTOK_APP_SECRET) unless `header` is given."""
    from django.conf import settings

    if header is None:
        header = sign(body, secret if secret is not None else settings.TIKTOK_APP_SECRET, t)
    return client.post(
        "/webhooks/tiktok", data=body, content_type="application/json", headers={"TikTok-Signature": header}
    )


def _business_id(business_id: str | None) -> str:
    if business_id is not None:
        return business_id
    from django.conf import settings

    return settings.TIKTOK_BUSINESS_ID or TEST_BUSINESS_ID


def im_receive_msg_body(
    text: str = "hi, is the denim jacket still available?",
    *,
    user: str = "buyer_anna",
    business_id: str | None = None,
    message_id: str | None = None,
    message_type: str = "text",
    timestamp_ms: int | None = None,
    conversation_id: str | None = None,
    user_id: str | None = None,
) -> bytes:
    """A customer wrote to the shop (im_receive_msg), as TikTok delivers it."""
    business = _business_id(business_id)
    content = customer_message_content(
        text=text,
        username=user,
        business_id=business,
        message_id=message_id,
        message_type=message_type,
        timestamp_ms=timestamp_ms,
        conversation_id=conversation_id,
        user_id=user_id,
    )
    return envelope_body(event=RECEIVE_MESSAGE, content=content, business_id=business)


def im_send_msg_body(
    text: str,
    *,
    user: str = "buyer_anna",
    business_id: str | None = None,
    message_id: str | None = None,
    source: str = "APP",
    timestamp_ms: int | None = None,
) -> bytes:
    """The business sent a message (im_send_msg): `source="API"` for echoes of our sends, "APP" for the owner."""
    business = _business_id(business_id)
    content = {
        "conversation_id": conversation_id_for(user),
        "message_id": message_id or new_message_id(),
        "type": "text",
        "timestamp": timestamp_ms if timestamp_ms is not None else int(time.time() * 1000),
        "from": "philiathrifts",
        "from_user": {"id": business, "role": "business_account"},
        "to": user,
        "to_user": {"id": user_id_for(user), "role": "personal_account"},
        "text": {"body": text},
        "message_tag": {"source": source},
    }
    return envelope_body(event=SEND_MESSAGE, content=content, business_id=business)


def im_receive_msg_eu_body(
    *, user: str = "buyer_eva", business_id: str | None = None, message_id: str | None = None
) -> bytes:
    """A customer in the EEA/CH/UK wrote: TikTok strips the content."""
    business = _business_id(business_id)
    content = {
        "conversation_id": conversation_id_for(user),
        "message_id": message_id or new_message_id(),
        "timestamp": int(time.time() * 1000),
        "from": user,
        "from_user": {"id": user_id_for(user), "role": "personal_account"},
        "to_user": {"id": business, "role": "business_account"},
    }
    return envelope_body(event=RECEIVE_MESSAGE_EU, content=content, business_id=business)


def im_mark_read_msg_body(
    *, user: str = "buyer_anna", business_id: str | None = None, read_ms: int | None = None
) -> bytes:
    """The customer read the conversation (a read receipt: no message id)."""
    business = _business_id(business_id)
    content = {
        "conversation_id": conversation_id_for(user),
        "from_user": {"id": user_id_for(user), "role": "personal_account"},
        "to_user": {"id": business, "role": "business_account"},
        "read": {"last_read_timestamp": read_ms if read_ms is not None else int(time.time() * 1000)},
    }
    return envelope_body(event=MARK_READ, content=content, business_id=business)


# --- The fake Business Messaging API --------------------------------------------------------------


def error(code: int, message: str = "") -> dict[str, Any]:
    """A TikTok error answer (they come with HTTP 200)."""
    return {"code": code, "message": message or f"error {code}", "request_id": uuid.uuid4().hex, "data": {}}


def _ok(data: dict[str, Any]) -> dict[str, Any]:
    """A TikTok answer that says yes, with its `data`."""
    return {"code": 0, "message": "OK", "request_id": uuid.uuid4().hex, "data": data}


@dataclass(frozen=True)
class Reply:
    status: int = 200
    json: dict[str, Any] | None = None  # None: the endpoint's normal success answer
    body: bytes | None = None  # raw bytes instead of JSON
    delay: float = 0.0  # seconds before answering (a slow TikTok)


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    json: Any  # the JSON body; for an upload, its form fields and file
    method: str = "POST"
    query: dict[str, str] = field(default_factory=dict)
    answered_code: int | None = None  # TikTok `code` of the answer; 0 means it was taken
    answered_status: int = 200  # the HTTP status of the answer
    at: float = field(default_factory=time.time)  # when it arrived (unix seconds)
    client_port: int = 0  # the client's TCP port: requests on one kept-alive connection share it


@dataclass
class FakeTikTok(FakeHTTPServer):
    """A fake of TikTok's Business Messaging API on 127.0.0.1 (free port), in a thread."""

    thread_name = "fake-tiktok"
    path_prefix = API_PREFIX

    accepted_tokens: set[str] | None = None  # when set, other Access-Tokens get 40105
    image_send_allowed: bool = True  # the IMAGE_SEND capability of every conversation
    requests: list[RecordedRequest] = field(default_factory=list)
    _media_ids: set[str] = field(default_factory=set)
    _conversations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _windows: dict[str, tuple[float, list[Reply], int]] = field(default_factory=dict)
    _scripts: dict[str, deque[Reply]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _counter: int = 0

    def script(self, path: str, *replies: Reply) -> None:
        """The next calls to `path` get these replies, in order; after them, normal answers again."""
        with self._lock:
            self._scripts.setdefault(path, deque()).extend(replies)

    def fail_for(self, path: str, seconds: float, *replies: Reply) -> None:
        """For `seconds` from now, calls to `path` get `replies` in turn (cycling); scripted replies go first."""
        with self._lock:
            self._windows[path] = (time.monotonic() + seconds, list(replies), 0)

    def _remember_sent(self, message_id: str, payload: dict[str, Any]) -> None:
        with self._lock:
            self._conversations.setdefault(str(payload.get("recipient")), []).append(
                _listed_message(message_id, payload)
            )

    def _window_reply(self, path: str) -> Reply | None:
        window = self._windows.get(path)
        if window is None:
            return None
        until, replies, turn = window
        if time.monotonic() >= until or not replies:
            del self._windows[path]
            return None
        self._windows[path] = (until, replies, turn + 1)
        return replies[turn % len(replies)]

    def calls(self, path: str = SEND_PATH) -> list[RecordedRequest]:
        with self._lock:
            return [request for request in self.requests if request.path == path]

    @property
    def sends(self) -> list[dict[str, Any]]:
        """JSON bodies of the send requests TikTok took (answered with code 0)."""
        return [request.json for request in self.calls(SEND_PATH) if request.answered_code == 0]

    @property
    def uploads(self) -> list[dict[str, Any]]:
        """The image uploads TikTok took: form fields and the file (`file_name`, `content_type`, `content`)."""
        return [request.json for request in self.calls(UPLOAD_PATH) if request.answered_code == 0]

    def forget_media(self, media_id: str) -> None:
        """TikTok no longer knows this media id (it expired): sending it gets 40002."""
        with self._lock:
            self._media_ids.discard(media_id)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        raw_path, _, raw_query = handler.path.partition("?")
        path = raw_path[len(API_PREFIX) :] if raw_path.startswith(API_PREFIX) else raw_path
        content_type = handler.headers.get("Content-Type", "")
        if content_type.startswith("multipart/form-data"):
            payload: Any = _read_multipart(handler, content_type)
        else:
            payload = read_json(handler)
        recorded = RecordedRequest(
            path=path,
            headers=dict(handler.headers.items()),
            json=payload,
            method=handler.command,
            query=dict(parse_qsl(raw_query)),
            client_port=handler.client_address[1],
        )
        with self._lock:
            self.requests.append(recorded)
            script = self._scripts.get(path)
            reply = script.popleft() if script else (self._window_reply(path) or Reply())
            self._counter += 1
            number = self._counter
        answer = reply.json
        if answer is None and reply.body is None and reply.status < 400:
            # Taken on arrival: a slow answer (`delay`) does not undo it.
            answer = self._normal_answer(path, handler.headers.get("Access-Token", ""), number, payload, recorded.query)
        elif answer is None and reply.body is None:
            answer = error(51065, "System error")
        recorded.answered_status = reply.status
        if isinstance(answer, dict):
            recorded.answered_code = answer.get("code") if reply.status < 400 else None
        if reply.delay:
            time.sleep(reply.delay)
        write_reply(handler, reply.status, reply.body if reply.body is not None else json.dumps(answer).encode())

    def _normal_answer(
        self, path: str, access_token: str, number: int, payload: Any, query: dict[str, str]
    ) -> dict[str, Any]:
        if path == REFRESH_PATH:
            access = f"access-{number}"
            with self._lock:
                if self.accepted_tokens is not None:
                    self.accepted_tokens.add(access)
            return _ok(
                {
                    "access_token": access,
                    "expires_in": 86400,
                    "refresh_token": f"refresh-{number}",
                    "refresh_token_expires_in": 31536000,
                    "open_id": TEST_BUSINESS_ID,
                }
            )
        if path in (SEND_PATH, UPLOAD_PATH, CAPABILITIES_PATH, CONTENT_LIST_PATH) and (
            self.accepted_tokens is not None and access_token not in self.accepted_tokens
        ):
            return error(40105, "Access token is invalid or expired.")
        if path == CONTENT_LIST_PATH:
            with self._lock:
                listed = list(reversed(self._conversations.get(query.get("conversation_id", ""), [])))
            return _ok({"messages": listed[:20], "has_more": len(listed) > 20})
        if path == CAPABILITIES_PATH:
            return _ok(
                {"capability_infos": [{"capability_type": "IMAGE_SEND", "capability_result": self.image_send_allowed}]}
            )
        if path == UPLOAD_PATH:
            if not isinstance(payload, dict) or payload.get("media_type") != "IMAGE" or not payload.get("content"):
                return error(40002, "An IMAGE file is required.")
            media_id = f"fake-media-{number}"
            with self._lock:
                self._media_ids.add(media_id)
            return _ok({"media_id": media_id})
        if path == SEND_PATH:
            if isinstance(payload, dict) and payload.get("message_type") == "IMAGE":
                with self._lock:
                    known = (payload.get("image") or {}).get("media_id") in self._media_ids
                if not known:
                    return error(40002, "Invalid media_id.")
            message_id = f"fake-sent-{number}"
            if isinstance(payload, dict):
                self._remember_sent(message_id, payload)
            return _ok({"message": {"message_id": message_id}})
        return error(40002, f"Unknown path {path}")


def _listed_message(message_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    kind = str(payload.get("message_type") or "TEXT").lower()
    item: dict[str, Any] = {
        "message_id": message_id,
        "timestamp": int(time.time() * 1000),
        "type": kind,
        "from_user": {"id": payload.get("business_id"), "role": "business_account"},
        "to_user": {"role": "personal_account"},
    }
    if kind == "text":
        item["text"] = {"body": (payload.get("text") or {}).get("body", "")}
    else:
        item["image"] = {"media_id": (payload.get("image") or {}).get("media_id", "")}
    return item


def _read_multipart(handler: BaseHTTPRequestHandler, content_type: str) -> dict[str, Any]:
    """A multipart/form-data body as {field: text} plus the file's `file_name`, `content_type`, `content`."""
    raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
    message = BytesParser(policy=email_policy).parsebytes(
        f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode() + raw
    )
    form: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if part.get_filename() is not None:
            form.update(file_name=part.get_filename(), content_type=part.get_content_type())
            form["content"] = part.get_payload(decode=True)
        elif isinstance(name, str) and name:
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)  # a form field's body, decoded from its transfer encoding
            form[name] = payload.decode()
    return form


# --- Fixtures -------------------------------------------------------------------------------------


@pytest.fixture
def fake_tiktok() -> Iterator[FakeTikTok]:
    with FakeTikTok() as fake:
        yield fake


@pytest.fixture
def tiktok_settings(settings: Any, fake_tiktok: FakeTikTok) -> Any:
    """The channel configured for tests: signed deliveries accepted, sends going to `fake_tiktok`."""
    settings.DEBUG = False
    settings.TIKTOK_APP_ID = "test-app-id"
    settings.TIKTOK_APP_SECRET = TEST_SECRET
    settings.TIKTOK_BUSINESS_ID = TEST_BUSINESS_ID
    settings.TIKTOK_ACCESS_TOKEN = TEST_ACCESS_TOKEN
    settings.TIKTOK_API_BASE = fake_tiktok.base_url
    settings.TIKTOK_HTTP_TIMEOUT = (2.0, 2.0)
    settings.OPENAI_API_KEY = ""
    return settings
