"""The shop's TikTok access token: from the environment, or stored and refreshed before it expires."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tiktok.client import TikTokClient, TikTokError
from tiktok.limits import acquire_within, token_refresh_mutex
from tiktok.models import TikTokCredential

logger = logging.getLogger(__name__)


class TokenRefreshUnavailable(Exception):
    """There is nothing to refresh with (no stored refresh token, no app credentials, or the env token wins)."""


def stored_credential() -> TikTokCredential:
    credential, _ = TikTokCredential.objects.get_or_create(pk=TikTokCredential.SINGLETON_ID)
    return credential


def store_tokens(
    *,
    access_token: str,
    access_token_expires_at: datetime | None,
    refresh_token: str,
    refresh_token_expires_at: datetime | None,
) -> TikTokCredential:
    """Staff pasted tokens (from TikTok's authorisation) into the admin: keep them in the one row."""
    credential, _ = TikTokCredential.objects.update_or_create(
        pk=TikTokCredential.SINGLETON_ID,
        defaults={
            "access_token": access_token.strip(),
            "access_token_expires_at": access_token_expires_at,
            "refresh_token": refresh_token.strip(),
            "refresh_token_expires_at": refresh_token_expires_at,
            "last_refresh_error": "",
        },
    )
    logger.info("tiktok tokens stored", extra={"expires_at": access_token_expires_at})
    return credential


def current_access_token() -> str:
    """`TIKTOK_ACCESS_TOKEN` if set, else the stored token, else "" (the outbox then does dry runs)."""
    if settings.TIKTOK_ACCESS_TOKEN:
        return settings.TIKTOK_ACCESS_TOKEN
    credential = TikTokCredential.objects.filter(pk=TikTokCredential.SINGLETON_ID).first()
    return credential.access_token if credential else ""


def can_refresh_access_token() -> bool:
    if settings.TIKTOK_ACCESS_TOKEN or not (settings.TIKTOK_APP_ID and settings.TIKTOK_APP_SECRET):
        return False
    return TikTokCredential.objects.filter(pk=TikTokCredential.SINGLETON_ID).exclude(refresh_token="").exists()


def refresh_access_token(*, stale_access_token: str | None = None, client: TikTokClient | None = None) -> str:
    """Trade the stored refresh token for a new pair and store both; return the new access token.

    Serialised across workers by a Redis mutex (not a row lock: the HTTP call must not run inside a
    transaction). With `stale_access_token`, a refresh another worker finished meanwhile is reused
    instead of spending the rotated refresh token twice. Raises `TokenRefreshUnavailable` or `TikTokError`.
    """
    if not can_refresh_access_token():
        raise TokenRefreshUnavailable("No stored refresh token to refresh with (or TIKTOK_ACCESS_TOKEN overrides it).")
    with acquire_within(token_refresh_mutex(), seconds=15, poll_seconds=0.1) as acquired:
        if not acquired:
            raise TokenRefreshUnavailable("Another token refresh is still running.")
        return _refresh_holding_mutex(stale_access_token=stale_access_token, client=client)


def _refresh_holding_mutex(*, stale_access_token: str | None, client: TikTokClient | None) -> str:
    credential = stored_credential()
    if stale_access_token is not None and credential.access_token and credential.access_token != stale_access_token:
        return credential.access_token
    client = client or TikTokClient()
    try:
        grant = client.refresh_token(
            app_id=settings.TIKTOK_APP_ID, app_secret=settings.TIKTOK_APP_SECRET, refresh_token=credential.refresh_token
        )
    except TikTokError as exc:
        TikTokCredential.objects.filter(pk=credential.pk).update(last_refresh_error=str(exc), updated_at=timezone.now())
        logger.error("tiktok token refresh failed", extra={"code": exc.code, "error": exc.message})
        raise
    now = timezone.now()
    with transaction.atomic():
        TikTokCredential.objects.filter(pk=credential.pk).update(
            access_token=grant.access_token,
            access_token_expires_at=grant.access_token_expires_at,
            refresh_token=grant.refresh_token,
            refresh_token_expires_at=grant.refresh_token_expires_at or credential.refresh_token_expires_at,
            refreshed_at=now,
            last_refresh_error="",
            updated_at=now,
        )
    logger.info("tiktok token refreshed", extra={"expires_at": grant.access_token_expires_at})
    return grant.access_token


def refresh_access_token_if_expiring(*, within: timedelta = timedelta(hours=2)) -> bool:
    """Refresh when the stored access token expires within `within` (or its expiry is unknown). True if refreshed."""
    if not can_refresh_access_token():
        return False
    credential = stored_credential()
    expires_at = credential.access_token_expires_at
    if credential.access_token and expires_at is not None and expires_at > timezone.now() + within:
        return False
    refresh_access_token(stale_access_token=credential.access_token)
    return True
