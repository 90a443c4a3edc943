"""TikTok's webhook envelope: `{client_key, event, create_time, user_openid, content}` where `content`
is itself a JSON string. Parsing never trusts more than it checks; the raw bytes are what we store."""

import hashlib
import json
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
    try:
        # Decoded as UTF-8 first: json.loads would also take UTF-16/32 bytes, which the shop then could not
        # store as the raw body. JSON on the wire is UTF-8 (RFC 8259), and TikTok sends UTF-8.
        envelope = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InvalidEnvelope("Body is not valid JSON.") from None
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
    try:
        content = json.loads(raw_content)
    except ValueError:
        raise InvalidEnvelope("'content' is not valid JSON.") from None
    if not isinstance(content, dict):
        raise InvalidEnvelope("'content' is not a JSON object.")
    parsed = Envelope(event=event, user_openid=_text(envelope.get("user_openid")), content=content)
    _check_lengths(parsed)
    return parsed


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
    if value is None or isinstance(value, (dict, list)):
        return ""
    # PostgreSQL text cannot hold NUL: a "\u0000" in a message would otherwise make it unstorable (lost).
    return str(value).replace("\x00", "").strip()


def _user_id(user: Any) -> str:
    return _text(user.get("id")) if isinstance(user, dict) else ""


def _from_milliseconds(value: Any) -> datetime | None:
    try:
        milliseconds = int(value)
    except (TypeError, ValueError):
        return None
    if milliseconds <= 0:
        return None
    try:
        return datetime.fromtimestamp(milliseconds / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
