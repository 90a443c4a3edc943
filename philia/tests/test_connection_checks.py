"""A kept database connection is checked (`SELECT 1`) before a new request or job reuses it only once it has been
idle HEALTH_CHECK_AFTER_IDLE_SECONDS; one that broke meanwhile fails one statement and is then replaced."""

import psycopg
import pytest
from django.db import OperationalError, close_old_connections, connection, connections

from philia.postgresql import base

pytestmark = pytest.mark.django_db(transaction=True)


def _used_now() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def test_the_shop_uses_the_backend_that_checks_after_an_idle_while():
    assert isinstance(connections["default"], base.DatabaseWrapper)
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True


def test_a_connection_used_just_now_is_not_checked_before_the_next_job():
    _used_now()
    close_old_connections()  # a job or request ends, the next begins
    assert connection.connection is not None and connection.health_check_done is True


def test_a_connection_idle_for_a_while_is_checked_before_reuse(monkeypatch):
    monkeypatch.setattr(base, "HEALTH_CHECK_AFTER_IDLE_SECONDS", 0.0)
    _used_now()
    close_old_connections()
    assert connection.health_check_done is False  # the next statement sends SELECT 1 first
    _used_now()
    assert connection.health_check_done is True


def test_a_connection_that_broke_while_busy_fails_one_statement_and_is_replaced():
    _used_now()
    pid = connection.connection.info.backend_pid
    url = connection.settings_dict
    with psycopg.connect(
        host=url["HOST"],
        port=url["PORT"],
        user=url["USER"],
        password=url["PASSWORD"],
        dbname=url["NAME"],
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    close_old_connections()  # not checked: used just now

    with pytest.raises(OperationalError):
        _used_now()
    close_old_connections()  # the error makes Django check it: closed
    _used_now()
    assert connection.connection.info.backend_pid != pid
