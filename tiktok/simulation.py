"""Build the webhook deliveries TikTok sends, byte for byte: used by `manage.py simulate` and the tests."""

import hashlib
import json
import time
import uuid
from typing import Any

from tiktok.envelopes import RECEIVE_MESSAGE
from tiktok.signatures import signature_header


def user_id_for(name: str) -> str:
    """A stable TikTok-like user id for a simulated customer name."""
    return "sim-" + hashlib.sha256(name.strip().lower().encode()).hexdigest()[:20]


def conversation_id_for(name: str) -> str:
    return "simconv-" + hashlib.sha256(("conversation:" + name.strip().lower()).encode()).hexdigest()[:24]


def new_message_id() -> str:
    return "simmsg-" + uuid.uuid4().hex


def envelope_body(*, event: str, content: dict[str, Any], business_id: str, create_time: int | None = None) -> bytes:
    """The delivery body: `content` serialised to a JSON string inside the JSON envelope, as TikTok does."""
    envelope = {
        "client_key": "philia-simulator",
        "event": event,
        "create_time": create_time if create_time is not None else int(time.time()),
        "user_openid": business_id,
        "content": json.dumps(content, separators=(",", ":")),
    }
    return json.dumps(envelope, separators=(",", ":")).encode("utf-8")


def customer_message_content(
    *,
    text: str,
    username: str,
    business_id: str,
    business_username: str = "philiathrifts",
    user_id: str | None = None,
    conversation_id: str | None = None,
    message_id: str | None = None,
    message_type: str = "text",
    timestamp_ms: int | None = None,
) -> dict[str, Any]:
    """`content` of an im_receive_msg: a customer wrote to the shop."""
    content: dict[str, Any] = {
        "conversation_id": conversation_id or conversation_id_for(username),
        "message_id": message_id or new_message_id(),
        "type": message_type,
        "timestamp": timestamp_ms if timestamp_ms is not None else int(time.time() * 1000),
        "from": username,
        "from_user": {"id": user_id or user_id_for(username), "role": "personal_account"},
        "to": business_username,
        "to_user": {"id": business_id, "role": "business_account"},
        "message_tag": {"source": "APP"},
    }
    if message_type == "text":
        content["text"] = {"body": text}
    elif message_type == "image":
        content["image"] = {"media_id": "media-" + uuid.uuid4().hex[:12]}
    return content


def signed_customer_message(
    *, text: str, username: str, business_id: str, secret: str, **content_options: Any
) -> tuple[bytes, dict[str, str], dict[str, Any]]:
    """(body, headers, content) of a signed im_receive_msg delivery, ready to POST."""
    content = customer_message_content(text=text, username=username, business_id=business_id, **content_options)
    body = envelope_body(event=RECEIVE_MESSAGE, content=content, business_id=business_id)
    headers = {
        "Content-Type": "application/json",
        "TikTok-Signature": signature_header(body=body, secret=secret, timestamp=int(time.time())),
    }
    return body, headers, content
