"""The shop as real processes for tests: gunicorn and `rundramatiq` with production settings plus a job and a page
that fail on purpose (philia/tests/failing_settings.py), on the test database and Redis, each shop under a Dramatiq
namespace of its own (deleted when it stops). Used by test_sentry.py and test_sentry_unreachable.py.

    shop = start_shop(shop_env(SENTRY_DSN=fake_sentry.dsn), logs=tmp_path)
    try:
        shop.enqueue("answer_order_question", 12, "conv-1", 5, queue_name=FAILING_QUEUE)
        requests.post(f"{shop.url}/failing/orders/12/question", json={...})
    finally:
        shop.stop()
"""

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import redis
import requests
from django.conf import settings
from django.db import connection
from dramatiq import Message as Job
from dramatiq.brokers.redis import RedisBroker

from faults.harness import BIN, Process, free_port, wait_until

TIKTOK_SECRET = "shop-processes-app-secret"
BUSINESS_ID = "shop-processes-business"


def shop_env(**overrides: str) -> dict[str, str]:
    """A shop process's environment: production settings (DEBUG off) on the test database and Redis, TikTok's API
    unreachable unless TIKTOK_API_BASE is given, no AI, no Sentry unless SENTRY_DSN is given."""
    database = connection.settings_dict
    return {
        **{name: value for name, value in os.environ.items() if not name.startswith("PYTEST")},
        "DJANGO_SETTINGS_MODULE": "philia.tests.failing_settings",
        "PYTHONPATH": str(settings.BASE_DIR),
        "PYTHONUNBUFFERED": "1",
        "DATABASE_URL": (
            f"postgres://{database['USER']}:{database['PASSWORD']}@{database['HOST']}:{database['PORT']}/"
            f"{database['NAME']}"
        ),
        "DEBUG": "false",
        "SECRET_KEY": "shop-processes-only-not-a-real-key",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "INFO",
        "SENTRY_DSN": "",
        "SENTRY_ENVIRONMENT": "tests",
        "SENTRY_RELEASE": "philia@tests",
        "TIKTOK_APP_SECRET": TIKTOK_SECRET,
        "TIKTOK_BUSINESS_ID": BUSINESS_ID,
        "TIKTOK_ACCESS_TOKEN": "shop-processes-token",
        "TIKTOK_API_BASE": "http://127.0.0.1:9/open_api/v1.3",
        "OPENAI_API_KEY": "",
        "OWNER_NOTIFY_URL": "",
        "OWNER_EMAIL": "",
        # An idle worker polls Redis every 50 ms, as docs/production.md sets it up.
        "dramatiq_worker_timeout": "50",
        **overrides,
    }


@dataclass
class ShopProcesses:
    web: Process
    worker: Process
    url: str
    namespace: str

    def enqueue(self, actor_name: str, *args: object, queue_name: str) -> None:
        """Send a job to this shop's worker (its namespace, not this test run's broker)."""
        broker = RedisBroker(url=settings.REDIS_URL, namespace=self.namespace)
        try:
            broker.enqueue(Job(queue_name=queue_name, actor_name=actor_name, args=args, kwargs={}, options={}))
        finally:
            broker.client.close()

    def stop(self) -> None:
        for process in (self.worker, self.web):
            process.stop()
        client = redis.Redis.from_url(settings.REDIS_URL)
        try:
            keys = list(client.scan_iter(match=f"{self.namespace}:*"))
            if keys:
                client.delete(*keys)
        finally:
            client.close()


def start_shop(env: dict[str, str], logs: Path) -> ShopProcesses:
    """gunicorn (one process, 4 threads) and `rundramatiq` (one process, 4 threads), run as docs/operations.md says:
    with LOG_FORMAT=json, gunicorn's own lines are JSON too. Returns once /health answers."""
    port = free_port()
    env = {**env, "DRAMATIQ_NAMESPACE": f"philia-test-shop-{port}"}
    log_options = (
        ["--log-config-json", "philia/observability/gunicorn_logging.json"]
        if env.get("LOG_FORMAT") == "json"
        else ["--log-level", "warning"]
    )
    web = Process(
        f"gunicorn-{port}",
        [
            str(BIN / "gunicorn"), "philia.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1",
            "--threads", "4", "--worker-class", "gthread", *log_options,
        ],
        env=env, logs=logs,
    )  # fmt: skip
    worker = Process(
        f"worker-{port}",
        [sys.executable, "manage.py", "rundramatiq", "--processes", "1", "--threads", "4", "--skip-logging"],
        env=env,
        logs=logs,
    )
    shop = ShopProcesses(web, worker, f"http://127.0.0.1:{port}", env["DRAMATIQ_NAMESPACE"])
    try:
        wait_until(lambda: requests.get(f"{shop.url}/health", timeout=2).status_code in (200, 503), seconds=60,
                   what="gunicorn to answer /health")  # fmt: skip
    except AssertionError:
        shop.stop()
        raise AssertionError(web.tail()) from None
    return shop


def log_lines(process: Process) -> list[dict[str, object]]:
    """The process's log lines, each parsed as JSON (a line that is not fails the test). rundramatiq's banner on
    stdout (` * Discovered tasks module: ...`, before the worker starts) is not a log line and is left out."""
    lines = process.log_path.read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip() and not line.startswith(" * ")]
