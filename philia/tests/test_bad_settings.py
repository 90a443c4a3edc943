"""A setting the shop cannot use stops start-up with one line naming it and what it should be: a malformed
SENTRY_DSN, a number that is not one or is below 0, an unknown LOG_FORMAT."""

import runpy
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from philia.tests.test_project_checks import manage


@pytest.mark.parametrize(
    ("dsn", "reason"),
    [
        ("https://sentry.example.com/42", "Missing public key"),
        ("sentry.example.com/42", "Unsupported scheme ''"),
        ("https://key@sentry.example.com/", "Invalid project in DSN ('')"),
    ],
)
def test_a_malformed_sentry_dsn_stops_the_shop_at_start_up_in_one_line(dsn, reason):
    result = manage("check", SENTRY_DSN=dsn)

    assert result.returncode == 1
    assert result.stderr == (
        f"ImproperlyConfigured: SENTRY_DSN is not a Sentry DSN like https://<key>@<host>/<project id> ({reason}).\n"
    )


def test_a_negative_number_stops_the_shop_at_start_up_in_one_line():
    result = manage("check", HOLD_HOURS="-3")

    assert result.returncode == 1
    assert result.stderr == "ImproperlyConfigured: HOLD_HOURS is a number, at least 0, not '-3'.\n"


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("SENTRY_TRACES_SAMPLE_RATE", "often", "SENTRY_TRACES_SAMPLE_RATE is a number, at least 0, not 'often'."),
        ("SENTRY_TRACES_SAMPLE_RATE", "-0.5", "SENTRY_TRACES_SAMPLE_RATE is a number, at least 0, not '-0.5'."),
        ("SENTRY_TRACES_SAMPLE_RATE", "1.5", "SENTRY_TRACES_SAMPLE_RATE is a share from 0 to 1, not 1.5."),
        ("REDIS_SOCKET_TIMEOUT", "soon", "REDIS_SOCKET_TIMEOUT is a number, at least 0, not 'soon'."),
        ("REDIS_SOCKET_TIMEOUT", "nan", "REDIS_SOCKET_TIMEOUT is a number, at least 0, not 'nan'."),
        ("MAX_HOLDS_PER_CUSTOMER", "2.5", "MAX_HOLDS_PER_CUSTOMER is a whole number, at least 0, not '2.5'."),
        ("REDIS_SOCKET_TIMEOUT", "3s", "REDIS_SOCKET_TIMEOUT is a number, at least 0, not '3s'."),
        ("HOLD_HOURS", "1e3", "HOLD_HOURS is a number, at least 0, not '1e3'."),
        ("HOLD_HOURS", "", "HOLD_HOURS is a number, at least 0, not ''."),
        ("MAX_HOLDS_PER_CUSTOMER", "3 holds", "MAX_HOLDS_PER_CUSTOMER is a whole number, at least 0, not '3 holds'."),
        ("SWEEPS_LATE_AFTER_SECONDS", "-1", "SWEEPS_LATE_AFTER_SECONDS is a whole number, at least 0, not '-1'."),
        ("TIKTOK_HTTP_TIMEOUT", "3,-1", "TIKTOK_HTTP_TIMEOUT is a number (or several, comma-separated), at least 0, not '3,-1'."),
        ("TIKTOK_HTTP_TIMEOUT", "3,x", "TIKTOK_HTTP_TIMEOUT is a number (or several, comma-separated), at least 0, not '3,x'."),
        ("LOG_FORMAT", "xml", "LOG_FORMAT is \"text\" or \"json\", not 'xml'."),
        ("SHIPPING_FEE", "5 dollars", "SHIPPING_FEE is a number, at least 0, not '5 dollars'."),
        ("SHIPPING_FEE", "-1", "SHIPPING_FEE is a number, at least 0, not '-1'."),
    ],
)  # fmt: skip
def test_a_setting_the_shop_cannot_use_is_refused_naming_it(monkeypatch, name, value, reason):
    # The settings module run afresh in this process: what each process does first at start-up.
    monkeypatch.setenv(name, value)

    with pytest.raises(ImproperlyConfigured) as refused:
        runpy.run_path(str(settings.BASE_DIR / "philia" / "settings.py"))

    assert str(refused.value) == reason


@pytest.mark.parametrize(
    ("name", "value", "read"),
    [
        ("HOLD_REMINDER_HOURS", "0", 0),
        ("TIKTOK_HTTP_TIMEOUT", "0.5,2", (0.5, 2.0)),
        ("SENTRY_TRACES_SAMPLE_RATE", "1", 1.0),
        ("HOLD_HOURS", " 0.5 ", 0.5),
        ("LOG_FORMAT", "", "text"),
        ("SHIPPING_FEE", "4.5", Decimal("4.50")),
    ],
)
def test_numbers_at_their_limits_are_accepted(monkeypatch, name, value, read):
    monkeypatch.setenv(name, value)

    assert runpy.run_path(str(settings.BASE_DIR / "philia" / "settings.py"))[name] == read
