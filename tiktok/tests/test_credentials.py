"""Stored TikTok tokens: the environment wins, refreshes keep the rotated refresh token."""

from datetime import timedelta

import pytest
from django.utils import timezone

from testing.tiktok import REFRESH_PATH, Reply, error
from tiktok.client import TikTokRejected
from tiktok.credentials import (
    TokenRefreshUnavailable,
    current_access_token,
    refresh_access_token,
    refresh_access_token_if_expiring,
)
from tiktok.models import TikTokCredential

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tiktok_settings")]


@pytest.fixture
def stored(settings) -> TikTokCredential:
    settings.TIKTOK_ACCESS_TOKEN = ""
    return TikTokCredential.objects.create(
        access_token="old-access",
        refresh_token="old-refresh",
        access_token_expires_at=timezone.now() + timedelta(hours=1),
    )


def test_environment_token_overrides_the_stored_one(settings):
    TikTokCredential.objects.create(access_token="stored")
    settings.TIKTOK_ACCESS_TOKEN = "from-env"

    assert current_access_token() == "from-env"


def test_refresh_stores_the_new_access_token_and_the_rotated_refresh_token(stored, fake_tiktok):
    token = refresh_access_token()

    credential = TikTokCredential.objects.get()
    assert token == credential.access_token
    assert credential.access_token.startswith("access-")
    assert credential.refresh_token.startswith("refresh-")
    assert credential.refresh_token != "old-refresh"
    assert timedelta(hours=23) < credential.access_token_expires_at - timezone.now() <= timedelta(hours=24)
    assert credential.refreshed_at is not None
    assert fake_tiktok.calls(REFRESH_PATH)[0].json["refresh_token"] == "old-refresh"


def test_refresh_another_worker_already_did_is_not_repeated(stored, fake_tiktok):
    TikTokCredential.objects.filter(pk=stored.pk).update(access_token="refreshed-meanwhile")

    token = refresh_access_token(stale_access_token="old-access")

    assert token == "refreshed-meanwhile"
    assert fake_tiktok.calls(REFRESH_PATH) == []


def test_refused_refresh_keeps_the_old_tokens_and_records_the_error(stored, fake_tiktok):
    fake_tiktok.script(REFRESH_PATH, Reply(json=error(40002, "refresh token expired")))

    with pytest.raises(TikTokRejected):
        refresh_access_token()

    credential = TikTokCredential.objects.get()
    assert (credential.access_token, credential.refresh_token) == ("old-access", "old-refresh")
    assert credential.last_refresh_error == "40002: refresh token expired"


def test_no_refresh_while_the_environment_token_is_in_charge(stored, settings):
    settings.TIKTOK_ACCESS_TOKEN = "from-env"

    with pytest.raises(TokenRefreshUnavailable):
        refresh_access_token()


def test_scheduled_refresh_only_acts_when_the_token_expires_soon(stored, fake_tiktok):
    assert refresh_access_token_if_expiring(within=timedelta(minutes=30)) is False
    assert fake_tiktok.calls(REFRESH_PATH) == []

    assert refresh_access_token_if_expiring(within=timedelta(hours=2)) is True
    assert len(fake_tiktok.calls(REFRESH_PATH)) == 1
