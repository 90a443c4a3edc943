"""A small client for TikTok's Business Messaging API: send a text or an image (uploaded first), ask
whether a conversation can receive images, refresh the token.

Every response is `{"code", "message", "request_id", "data"}`, failures usually with HTTP 200, so
the `code` is always checked. Errors come out as three kinds the outbox acts on: retryable
(throttled, TikTok's side, timeouts), token (refresh once) and rejected (never retried).
"""

import logging
import os
import threading
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)

NO_PERMISSION = 40001
BAD_PARAMETER = 40002
TARGET_MISSING = 40007
BLOCKED_BY_MESSAGING_RULES = 40064
TOO_MANY_REQUESTS = 40100
TOKEN_INVALID = 40105
SYSTEM_ERROR = 51065

RETRYABLE_CODES = frozenset({TOO_MANY_REQUESTS, SYSTEM_ERROR})
TOKEN_CODES = frozenset({TOKEN_INVALID})

_sessions = threading.local()


def thread_session() -> requests.Session:
    """This thread's HTTP session: its connections to TikTok are kept alive between sends (one TLS handshake
    per worker thread, not per message). Per thread, since a `requests.Session` is not made for sharing."""
    session = getattr(_sessions, "session", None)
    if session is None:
        session = _sessions.session = requests.Session()
        if not urllib.request.getproxies():
            # No proxy set in the environment (read once here): requests would read all of it again for proxies on
            # every request. Its CA bundle settings, if any, are taken as requests takes them.
            session.trust_env = False
            session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    return session


class TikTokError(Exception):
    """TikTok said no, or could not be reached. `code` is TikTok's code, `HTTP <status>`, or the transport error."""

    def __init__(self, *, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class TikTokRetryableError(TikTokError):
    """Throttled (40100, HTTP 429), TikTok's own failure (51065, HTTP 5xx) or a timeout: try again later."""


class TikTokUnconfirmed(TikTokRetryableError):
    """The request went out but TikTok's answer did not come back in time (a read timeout): TikTok may
    have acted on it. A send must be checked (its echo, the conversation's messages) before it is sent again."""


class TikTokTokenError(TikTokError):
    """The access token is bad or expired (40105): refresh it once."""


class TikTokRejected(TikTokError):
    """A final no (40001, 40002, 40007, 40064, anything unknown): retrying would not help."""


@dataclass(frozen=True)
class TokenGrant:
    access_token: str
    access_token_expires_at: datetime | None
    refresh_token: str
    refresh_token_expires_at: datetime | None


@dataclass(frozen=True)
class ConversationMessage:
    """One message of a conversation as TikTok lists it."""

    message_id: str
    from_business: bool
    text: str
    timestamp_ms: int


class TikTokClient:
    def __init__(
        self,
        *,
        access_token: str = "",
        base_url: str | None = None,
        timeout: tuple[float, float] | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.access_token = access_token
        self.base_url = (base_url or settings.TIKTOK_API_BASE).rstrip("/")
        self.timeout = timeout or tuple(settings.TIKTOK_HTTP_TIMEOUT)
        self.session = session or thread_session()

    def send_text(self, *, business_id: str, conversation_id: str, text: str) -> str:
        """Send one text message to a conversation; return TikTok's message id."""
        return self._send(
            business_id=business_id, conversation_id=conversation_id, message_type="TEXT", body={"text": {"body": text}}
        )

    def send_image(self, *, business_id: str, conversation_id: str, media_id: str) -> str:
        """Send one image (a `media_id` from `upload_image`) to a conversation; return TikTok's message id.
        One image per message: TikTok does not combine an image with text."""
        return self._send(
            business_id=business_id,
            conversation_id=conversation_id,
            message_type="IMAGE",
            body={"image": {"media_id": media_id}},
        )

    def _send(self, *, business_id: str, conversation_id: str, message_type: str, body: dict[str, Any]) -> str:
        data = self._request(
            "POST",
            "/business/message/send/",
            json={
                "business_id": business_id,
                "recipient_type": "CONVERSATION",
                "recipient": conversation_id,
                "message_type": message_type,
                **body,
            },
            headers={"Access-Token": self.access_token},
        )
        message_id = ((data or {}).get("message") or {}).get("message_id")
        if not message_id:
            # Accepted (code 0) but without an id: it was sent, we just cannot match the echo by id.
            logger.warning(
                "tiktok send succeeded without a message id",
                extra={"conversation": conversation_id, "message_type": message_type},
            )
            return ""
        return str(message_id)

    def upload_image(
        self, *, business_id: str, file_name: str, content: bytes, content_type: str = "image/jpeg"
    ) -> str:
        """Upload a JPG or PNG (at most 3 MB) for image messages; return its `media_id`."""
        data = self._request(
            "POST",
            "/business/message/media/upload/",
            data={"business_id": business_id, "media_type": "IMAGE"},
            files={"file": (file_name, content, content_type)},
            headers={"Access-Token": self.access_token},
        )
        media_id = (data or {}).get("media_id")
        if not media_id:
            raise TikTokRejected(code="no_media_id", message="TikTok's upload answer carried no media_id.")
        return str(media_id)

    def can_send_images(self, *, business_id: str, conversation_id: str, conversation_type: str) -> bool:
        """Whether TikTok lets this conversation receive images (region-gated): the `IMAGE_SEND` capability.
        `conversation_type` is `SINGLE` once the business has replied in it, `STRANGER` before."""
        data = self._request(
            "GET",
            "/business/message/capabilities/get/",
            params={
                "business_id": business_id,
                "capability_types": '["IMAGE_SEND"]',
                "conversation_id": conversation_id,
                "conversation_type": conversation_type,
            },
            headers={"Access-Token": self.access_token},
        )
        infos = (data or {}).get("capability_infos") if isinstance(data, dict) else None
        if not isinstance(infos, list):
            raise TikTokRejected(code="bad_answer", message="TikTok's capabilities answer had no capability_infos.")
        return any(
            isinstance(info, dict)
            and info.get("capability_type") == "IMAGE_SEND"
            and info.get("capability_result") is True
            for info in infos
        )

    def recent_messages(self, *, business_id: str, conversation_id: str) -> list[ConversationMessage]:
        """The latest messages of a conversation, newest first (GET /business/message/content/list/): how a
        send whose answer was lost is looked up before it is tried again."""
        data = self._request(
            "GET",
            "/business/message/content/list/",
            params={"business_id": business_id, "conversation_id": conversation_id, "conversation_type": "SINGLE"},
            headers={"Access-Token": self.access_token},
        )
        items = (data or {}).get("messages") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise TikTokRejected(code="bad_answer", message="TikTok's content list answer had no messages.")
        found = []
        for item in items:
            if not isinstance(item, dict) or not item.get("message_id"):
                continue
            sender = item.get("from_user") or {}
            text = (item.get("text") or {}).get("body") if isinstance(item.get("text"), dict) else None
            try:
                timestamp_ms = int(item.get("timestamp") or 0)
            except (TypeError, ValueError):
                timestamp_ms = 0
            found.append(
                ConversationMessage(
                    message_id=str(item["message_id"]),
                    from_business=isinstance(sender, dict) and sender.get("role") == "business_account",
                    text=text if isinstance(text, str) else "",
                    timestamp_ms=timestamp_ms,
                )
            )
        return found

    def refresh_token(self, *, app_id: str, app_secret: str, refresh_token: str) -> TokenGrant:
        """Exchange the refresh token for a new access token and a new refresh token (it rotates)."""
        data = self._request(
            "POST",
            "/tt_user/oauth2/refresh_token/",
            json={
                "client_id": app_id,
                "client_secret": app_secret,
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
            },
        )
        data = data or {}
        if not data.get("access_token") or not data.get("refresh_token"):
            raise TikTokRejected(code="no_token", message="TikTok's refresh answer carried no tokens.")
        now = timezone.now()
        return TokenGrant(
            access_token=str(data["access_token"]),
            access_token_expires_at=_expiry(now, data.get("expires_in")),
            refresh_token=str(data["refresh_token"]),
            refresh_token_expires_at=_expiry(now, data.get("refresh_token_expires_in")),
        )

    def _request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        json: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> Any:
        url = f"{self.base_url}{path}"
        try:
            response = self.session.request(
                method,
                url,
                json=json,
                params=params,
                data=data,
                files=files,
                headers=headers or {},
                timeout=self.timeout,
            )
        except requests.ReadTimeout as exc:
            raise TikTokUnconfirmed(
                code="read_timeout", message=str(exc) or "TikTok's answer did not come in time."
            ) from exc
        except requests.Timeout as exc:
            raise TikTokRetryableError(code="timeout", message=str(exc) or "TikTok did not answer in time.") from exc
        except requests.ConnectionError as exc:
            raise TikTokRetryableError(code="connection", message=str(exc) or "TikTok could not be reached.") from exc
        status = response.status_code
        if status == 429 or status >= 500:
            raise TikTokRetryableError(code=f"HTTP {status}", message=response.text[:500])
        try:
            body = response.json()
        except ValueError:
            raise TikTokRejected(code=f"HTTP {status}", message=f"Not JSON: {response.text[:500]}") from None
        if not isinstance(body, dict) or "code" not in body:
            raise TikTokRejected(code=f"HTTP {status}", message=f"Unexpected answer: {response.text[:500]}")
        try:
            code = int(body["code"])
        except (TypeError, ValueError):
            raise TikTokRejected(code=str(body["code"]), message=str(body.get("message", ""))) from None
        message = str(body.get("message", ""))
        if code == 0 and status < 400:
            return body.get("data")
        if code in RETRYABLE_CODES:
            raise TikTokRetryableError(code=str(code), message=message)
        if code in TOKEN_CODES:
            raise TikTokTokenError(code=str(code), message=message)
        if code == 0:
            raise TikTokRejected(code=f"HTTP {status}", message=response.text[:500])
        raise TikTokRejected(code=str(code), message=message)


def _expiry(now: datetime, seconds: Any) -> datetime | None:
    try:
        return now + timedelta(seconds=int(seconds))
    except (TypeError, ValueError):
        return None
