"""TikTok's webhook endpoint: verify, store, enqueue, answer — nothing slow happens here."""

import logging
import time

from django.conf import settings
from django.db import DataError, InterfaceError, OperationalError
from django.http import HttpRequest, JsonResponse
from ninja import Router

from tiktok.envelopes import InvalidEnvelope, parse_envelope
from tiktok.services import record_webhook_event
from tiktok.signatures import SIGNATURE_HEADER, InvalidSignature, verify_signature

logger = logging.getLogger(__name__)

router = Router(tags=["tiktok"])


@router.get("/tiktok", include_in_schema=False)
def webhook_check(request: HttpRequest) -> JsonResponse:
    """TikTok's "test URL" button (and a human with a browser) get a harmless 200."""
    return JsonResponse({"status": "ok"})


@router.post("/tiktok", include_in_schema=False)
def receive_webhook(request: HttpRequest) -> JsonResponse:
    """One delivery from TikTok. 401 unsigned, 413 too big, 400 unusable, 503 database down, else 200."""
    limit = settings.TIKTOK_WEBHOOK_MAX_BYTES
    # Refuse an oversized body by its declared length before reading a byte of it.
    try:
        declared_length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared_length = 0
    if declared_length > limit:
        return _error(413, f"Body is larger than {limit} bytes.")
    body = request.body
    if len(body) > limit:
        return _error(413, f"Body is larger than {limit} bytes.")

    try:
        verify_signature(
            header=request.headers.get(SIGNATURE_HEADER),
            body=body,
            secret=settings.TIKTOK_APP_SECRET,
            now=time.time(),
            past_tolerance=settings.TIKTOK_SIGNATURE_TOLERANCE,
            future_tolerance=settings.TIKTOK_SIGNATURE_FUTURE_TOLERANCE,
        )
    except InvalidSignature as exc:
        logger.warning("tiktok webhook rejected", extra={"reason": str(exc)})
        return _error(401, str(exc))

    try:
        envelope = parse_envelope(body)
    except InvalidEnvelope as exc:
        logger.warning("tiktok webhook unusable", extra={"reason": str(exc)})
        return _error(400, str(exc))

    try:
        recorded = record_webhook_event(body=body, envelope=envelope)
    except (OperationalError, InterfaceError):
        # Not a 200: TikTok keeps the delivery and retries it once the database is back.
        logger.exception("tiktok webhook not stored: database unavailable")
        return _error(503, "Database unavailable; retry later.")
    except DataError:
        logger.exception("tiktok webhook not storable")
        return _error(400, "Envelope has values that cannot be stored.")
    return JsonResponse({"status": recorded.outcome})


def _error(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)
