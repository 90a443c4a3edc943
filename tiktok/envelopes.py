"""TikTok's webhook envelope: `{client_key, event, create_time, user_openid, content}` where `content`
is itself a JSON string. Parsing never trusts more than it checks; the raw bytes are what we store."""

import hashlib
import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

RECEIVE_MESSAGE = "im_receive_msg"
SEND_MESSAGE = "im_send_msg"
RECEIVE_MESSAGE_EU = "im_receive_msg_eu"
MARK_READ = "im_mark_read_msg"
KNOWN_EVENTS = frozenset({RECEIVE_MESSAGE, SEND_MESSAGE, RECEIVE_MESSAGE_EU, MARK_READ})


class InvalidEnvelope(Exception):
    """The body is signed but not a usable envelope. `str()` says which part is wrong (the 400's `detail`)."""


@dataclass(frozen=True)
class Envelope:
    event: str
    user_openid: str
    content: dict[str, Any]

    @property
    def message_id(self) -> str:
        return _text(self.content.get("message_id"))

    @property
    def conversation_id(self) -> str:
        return _text(self.content.get("conversation_id"))

    @property
    def message_type(self) -> str:
        return _text(self.content.get("type")).lower() or "unknown"

    @property
    def text_body(self) -> str:
        text = self.content.get("text")
        return _text(text.get("body")) if isinstance(text, dict) else ""

    @property
    def sender_id(self) -> str:
        return _user_id(self.content.get("from_user"))

    @property
    def recipient_id(self) -> str:
        return _user_id(self.content.get("to_user"))

    @property
    def sender_username(self) -> str:
        return _text(self.content.get("from"))

    @property
    def recipient_username(self) -> str:
        return _text(self.content.get("to"))

    @property
    def source(self) -> str:
        """Where a message was written (`APP`, `WEB`, `API`, …); `API` on echoes of our own sends."""
        tag = self.content.get("message_tag")
        return _text(tag.get("source")).upper() if isinstance(tag, dict) else ""

    @property
    def sent_at(self) -> datetime | None:
        """When the message was written (`timestamp`, milliseconds)."""
        return _from_milliseconds(self.content.get("timestamp"))

    @property
    def last_read_at(self) -> datetime | None:
        read = self.content.get("read")
        return _from_milliseconds(read.get("last_read_timestamp")) if isinstance(read, dict) else None

    @property
    def share_post_url(self) -> str:
        post = self.content.get("share_post")
        return _text(post.get("embed_url")) if isinstance(post, dict) else ""

    @property
    def message_text(self) -> str:
        """What the message says: its text, or for a shared post the post's address."""
        return self.text_body if self.message_type == "text" else self.share_post_url

    def dedupe_key(self, body: bytes) -> str:
        """One key per TikTok message; a read receipt is keyed by conversation, reader and time; anything
        else by its exact bytes (a redelivery repeats the body)."""
        if self.message_id:
            return f"message:{self.message_id}"
        read = self.content.get("read")
        if self.event == MARK_READ and isinstance(read, dict) and read.get("last_read_timestamp") is not None:
            return f"read:{self.conversation_id}:{self.sender_id}:{_text(read.get('last_read_timestamp'))}"
        return f"sha256:{hashlib.sha256(body).hexdigest()}"


def parse_envelope(body: bytes) -> Envelope:
    """The envelope and its decoded `content`, or `InvalidEnvelope` saying what is wrong."""
    # Decoded as UTF-8 first: json.loads would also take UTF-16/32 bytes, which the shop then could not
    # store as the raw body. JSON on the wire is UTF-8 (RFC 8259), and TikTok sends UTF-8.
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidEnvelope("Body is not valid JSON.") from None
    envelope = _load_json(text, "Body")
    if not isinstance(envelope, dict):
        raise InvalidEnvelope("Body is not a JSON object.")
    event = envelope.get("event")
    if not isinstance(event, str) or not event:
        raise InvalidEnvelope("Envelope has no 'event'.")
    if "content" not in envelope or envelope["content"] in (None, ""):
        raise InvalidEnvelope("Envelope has no 'content'.")
    raw_content = envelope["content"]
    if not isinstance(raw_content, str):
        raise InvalidEnvelope("'content' is not a JSON string.")
    content = _load_json(raw_content, "'content'")
    if not isinstance(content, dict):
        raise InvalidEnvelope("'content' is not a JSON object.")
    _check_identifiers(envelope, content)
    _check_times(content)
    # NULs are dropped from identifiers (as _text does for the others): PostgreSQL text cannot hold them.
    parsed = Envelope(event=event.replace("\x00", ""), user_openid=_text(envelope.get("user_openid")), content=content)
    _check_lengths(parsed)
    return parsed


def _load_json(text: str, what: str) -> Any:
    """Strict JSON: no NaN or ±Infinity (nor numbers so large they become one), and nesting too deep for the
    parser is refused like any other invalid JSON instead of escaping as a RecursionError."""
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except (ValueError, RecursionError):
        raise InvalidEnvelope(f"{what} is not valid JSON.") from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} is not a finite number")
    return number


# Identifiers become keys, indexed columns and customers' primary keys: each is a string (or absent) with no
# lone surrogate (PostgreSQL cannot store one) and no control character. NULs alone are dropped, as before.
IDENTIFIERS = {
    "event": ("event",),
    "user_openid": ("user_openid",),
    "content.message_id": ("content", "message_id"),
    "content.conversation_id": ("content", "conversation_id"),
    "content.from_user.id": ("content", "from_user", "id"),
    "content.to_user.id": ("content", "to_user", "id"),
}
_UNCLEAN = re.compile("[\x01-\x1f\x7f-\x9f\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_identifiers(envelope: dict[str, Any], content: dict[str, Any]) -> None:
    for name, path in IDENTIFIERS.items():
        value: Any = {**envelope, "content": content}
        for key in path:
            # A user that is not an object carries no id (the worker then says what the event lacks).
            value = value.get(key) if isinstance(value, dict) else None
        if value is None:
            continue
        if not isinstance(value, str):
            raise InvalidEnvelope(f"'{name}' is not a string.")
        if _UNCLEAN.search(value):
            raise InvalidEnvelope(f"'{name}' is not a clean string.")


# TikTok's times are milliseconds since 1970. Outside these bounds a value is not a time the shop can use
# (seconds instead of milliseconds, or garbage), and dates near the end of the calendar overflow arithmetic.
EARLIEST_MILLISECONDS = int(datetime(2000, 1, 1, tzinfo=UTC).timestamp() * 1000)
LATEST_MILLISECONDS = int(datetime(2100, 1, 1, tzinfo=UTC).timestamp() * 1000)
TIMES = {"content.timestamp": ("timestamp",), "content.read.last_read_timestamp": ("read", "last_read_timestamp")}


def _check_times(content: dict[str, Any]) -> None:
    for name, path in TIMES.items():
        value: Any = content
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None and _from_milliseconds(value) is None:
            raise InvalidEnvelope(f"'{name}' is not a time in milliseconds between 2000 and 2100.")


# The longest value each identifier's column holds. TikTok's are far shorter: anything longer is not a
# real delivery, and refusing it now beats an event that fails on every retry.
MAX_LENGTHS = {
    "event": ("event", 64),
    "content.message_id": ("message_id", 255),
    "content.conversation_id": ("conversation_id", 255),
    "content.from_user.id": ("sender_id", 128),
    "content.to_user.id": ("recipient_id", 128),
    "content.from": ("sender_username", 100),
    "content.to": ("recipient_username", 100),
}


def _check_lengths(envelope: Envelope) -> None:
    for name, (attribute, limit) in MAX_LENGTHS.items():
        if len(getattr(envelope, attribute)) > limit:
            raise InvalidEnvelope(f"'{name}' is longer than {limit} characters.")


def _text(value: Any) -> str:
    """A field as storable text. PostgreSQL text cannot hold NUL or a lone surrogate: a message carrying one
    ("\\u0000", "\\ud800" in TikTok's JSON) would otherwise be unstorable, and lost; NULs are dropped and
    lone surrogates become U+FFFD, the replacement character."""
    if value is None or isinstance(value, (dict, list)):
        return ""
    return _SURROGATE.sub("\ufffd", str(value).replace("\x00", "")).strip()


def _user_id(user: Any) -> str:
    return _text(user.get("id")) if isinstance(user, dict) else ""


def _from_milliseconds(value: Any) -> datetime | None:
    """A TikTok time (milliseconds, as a number or a string of digits) within 2000–2100, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit()) or len(value) > 15:
            return None
        value = int(value)
    if not isinstance(value, (int, float)) or not EARLIEST_MILLISECONDS <= value < LATEST_MILLISECONDS:
        return None
    return datetime.fromtimestamp(value / 1000, tz=UTC)
