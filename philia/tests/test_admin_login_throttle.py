"""Failed admin logins are throttled (django-axes): locked per username and IP after AXES_FAILURE_LIMIT
failures for AXES_COOLOFF_TIME, with a clear page, and `manage.py axes_reset` unlocks."""

from datetime import timedelta
from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORD = "the-right-password-1"
LOGIN_URL = "/admin/login/?next=/admin/"


@pytest.fixture
def owner():
    return get_user_model().objects.create_user("owner", password=PASSWORD, is_staff=True, is_superuser=True)


def _login(password: str, *, username: str = "owner", ip: str = "203.0.113.7"):
    client = Client(REMOTE_ADDR=ip)
    response = client.post(LOGIN_URL, {"username": username, "password": password})
    return client, response


def _fail(times: int, **who: str) -> None:
    """Wrong passwords: the login form says so until the limit; the failure reaching it gets the lockout."""
    for attempt in range(1, times + 1):
        _, response = _login("wrong", **who)
        if attempt < 5:
            assert response.status_code == 200
            assert "Please enter the correct username and password" in response.content.decode()
        else:
            assert response.status_code == 429


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_right_password_after_fewer_failures_than_the_limit_logs_in(owner, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    _fail(4)

    client, response = _login(PASSWORD)

    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert _logged_in(client)


def test_five_wrong_passwords_lock_the_login_even_for_the_right_password(owner):
    _fail(5)

    client, response = _login(PASSWORD)

    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed logins for this username from your address." in page
    assert "Try again in 15 minutes" in page
    assert "manage.py axes_reset" in page
    assert not _logged_in(client)


def test_the_lock_is_per_username_and_address(owner):
    get_user_model().objects.create_user("helper", password=PASSWORD, is_staff=True)
    _fail(5)

    other_address, from_elsewhere = _login(PASSWORD, ip="198.51.100.9")
    other_user, as_helper = _login(PASSWORD, username="helper")

    assert from_elsewhere.status_code == 302 and _logged_in(other_address)
    assert as_helper.status_code == 302 and _logged_in(other_user)


def test_the_lock_lifts_after_the_cool_off(owner, settings):
    assert settings.AXES_COOLOFF_TIME == timedelta(minutes=15)
    _fail(5)
    assert _login(PASSWORD)[1].status_code == 429

    attempt = AccessAttempt.objects.get()
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=attempt.attempt_time - timedelta(minutes=16))

    client, response = _login(PASSWORD)
    assert response.status_code == 302
    assert _logged_in(client)


def test_axes_reset_command_unlocks_at_once(owner):
    _fail(5)
    out = StringIO()

    call_command("axes_reset", stdout=out)

    assert out.getvalue() == "1 attempts removed.\n"
    client, response = _login(PASSWORD)
    assert response.status_code == 302
    assert _logged_in(client)


def test_behind_a_proxy_the_address_is_the_one_the_proxy_saw_and_not_what_the_client_claims(owner, settings):
    settings.PROXY_COUNT = 1
    proxy = "10.0.0.2"

    def through_proxy(password: str, forwarded_for: str):
        client = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=forwarded_for)
        return client, client.post(LOGIN_URL, {"username": "owner", "password": password})

    # The attacker varies the part of the header it controls; the proxy appends the address it really saw.
    for attempt in range(5):
        through_proxy("wrong", f"192.0.2.{attempt}, 203.0.113.7")
    _, attacker = through_proxy(PASSWORD, "192.0.2.99, 203.0.113.7")
    owner_client, owner_login = through_proxy(PASSWORD, "198.51.100.9")

    assert attacker.status_code == 429
    assert owner_login.status_code == 302 and _logged_in(owner_client)
