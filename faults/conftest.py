"""Fixtures of the fault tests (`make faults`): a database made for the run, a Redis server per test, the
fake TikTok API, and the shop's processes (`shop`), all stopped by the test that started them."""

import os
from collections.abc import Generator, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pluggy import Result
from pytest import TestReport

from faults.harness import RedisServer, Shop, create_database, drop_database
from testing.tiktok import FakeTikTok

# The end-state checks in faults/checks.py assert: show the values when one fails, as in a test module (the
# tests import it after this conftest).
pytest.register_assert_rewrite("faults.checks")


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Result[TestReport], None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="session")
def faults_database_url() -> Iterator[str]:
    """`<DATABASE_URL's database>_faults` on the same server, made for this run and dropped after it. The test
    settings (philia.test_settings) have set DATABASE_URL by now: the embedded PostgreSQL's, unless given."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    url = parts._replace(path=f"{parts.path.rstrip('/')}_faults").geturl()
    create_database(url)
    try:
        yield url
    finally:
        drop_database(url)


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def redis_server(logs: Path) -> Iterator[RedisServer]:
    with RedisServer(logs) as server:
        yield server


@pytest.fixture
def fake_tiktok_api() -> Iterator[FakeTikTok]:
    with FakeTikTok() as fake:
        yield fake


def running_shop(request: pytest.FixtureRequest, shop: Shop) -> Iterator[Shop]:
    """Yield the prepared shop; stop its processes after the test, printing their logs if it failed."""
    try:
        shop.prepare()
        yield shop
    finally:
        failed = any(
            getattr(getattr(request.node, f"report_{when}", None), "failed", False) for when in ("setup", "call")
        )
        if failed:
            print(shop.logs_tail())
        shop.stop_all()


@pytest.fixture
def shop(
    request: pytest.FixtureRequest,
    faults_database_url: str,
    redis_server: RedisServer,
    fake_tiktok_api: FakeTikTok,
    logs: Path,
) -> Iterator[Shop]:
    yield from running_shop(
        request,
        Shop(
            database_url=faults_database_url,
            redis_url=redis_server.url,
            logs=logs,
            tiktok_api=fake_tiktok_api.base_url,
            # Rows left in `sending` by a killed worker are flagged within the test's two minutes.
            OUTBOX_STUCK_SENDING_SECONDS="20",
        ),
    )
