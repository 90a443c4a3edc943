"""GET /health: 200 when the database and Redis answer and the minute sweeps ran lately; 503 saying what is
wrong otherwise (a dead scheduler shows as late sweeps)."""

import time

import pytest
from django_dramatiq.apps import DjangoDramatiqConfig

from philia.sweeps import MINUTE_SWEEPS, _key, record_sweep

pytestmark = pytest.mark.django_db


@pytest.fixture
def heartbeats(settings):
    settings.SWEEPS_LATE_AFTER_SECONDS = 180
    client = DjangoDramatiqConfig.get_rate_limiter_backend().client
    keys = [_key(name) for name in MINUTE_SWEEPS] + [_key(f"{name}:missing-since") for name in MINUTE_SWEEPS]
    client.delete(*keys)
    yield client
    client.delete(*keys)


def test_health_is_200_when_every_sweep_ran_lately(client, heartbeats):
    for name in MINUTE_SWEEPS:
        record_sweep(name)

    response = client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok", "sweeps": "ok"}


def test_health_is_503_naming_the_sweep_that_stopped(client, heartbeats):
    record_sweep("requeue_stale_outbox_job")
    heartbeats.set(_key("requeue_stale_events_job"), f"{time.time() - 400:.3f}")

    response = client.get("/health")

    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["sweeps"], body["database"], body["broker"]) == ("degraded", "late", "ok", "ok")
    assert body["detail"].startswith("the sweeps are late (requeue_stale_events_job has not run for 40")
    assert "manage.py crontab" in body["detail"]


def test_sweeps_never_seen_are_late_once_the_limit_has_passed_since_the_first_check(client, heartbeats):
    # A fresh install (or a Redis restarted empty) with no scheduler: not late at first, late after the limit.
    assert client.get("/health").status_code == 200
    for name in MINUTE_SWEEPS:
        heartbeats.set(_key(f"{name}:missing-since"), f"{time.time() - 200:.3f}")

    response = client.get("/health")

    assert response.status_code == 503
    assert response.json()["sweeps"] == "late"
