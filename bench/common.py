"""What the benches share: the servers they run on, the percentile of their timings, making and dropping their
own database, and starting and stopping the real processes (gunicorn, `rundramatiq`) they measure."""

import argparse
import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import requests

from philia import embedded

ROOT = Path(__file__).resolve().parent.parent
# The bench shop's TikTok app: its processes are given these, and the benches sign their deliveries with them.
SECRET = "bench-app-secret"
BUSINESS_ID = "bench-business"
ACCESS_TOKEN = "bench-access-token"


def use_servers() -> None:
    """Point DATABASE_URL and REDIS_URL at the servers to bench on: those they name when set, else the project's
    embedded PostgreSQL and Redis (philia.embedded), started if need be. The gunicorn and workers a bench starts
    inherit them. Embedded servers this bench started are stopped when it exits, unless another command uses
    them. Called first thing in a bench's main, before any URL is read."""
    try:
        embedded.configure_environment(stop_when_unused=True)
    except embedded.EmbeddedError as error:
        raise SystemExit(str(error)) from None


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def maintenance_url(url: str) -> str:
    """The same server's `postgres` database, to create or drop the database of `url` from."""
    return urlsplit(url)._replace(path="/postgres").geturl()


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def bench_database_url(name: str) -> str:
    """Database `name` on the server of DATABASE_URL (see use_servers)."""
    return urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{name}").geturl()


def drop_database(url: str) -> None:
    with psycopg.connect(maintenance_url(url), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database_name(url)}" WITH (FORCE)')


def recreate_database(url: str) -> None:
    drop_database(url)
    with psycopg.connect(maintenance_url(url), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{database_name(url)}"')


def venv_bin(name: str) -> str:
    """A console script of the Python running the bench (gunicorn, ...): the same virtualenv."""
    return str(Path(sys.executable).with_name(name))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(env: dict[str, str], port: int, workers: int, threads: int) -> subprocess.Popen:
    """gunicorn serving philia.wsgi on 127.0.0.1:`port` in its own session; returns once /health is 200."""
    command = [
        venv_bin("gunicorn"), "philia.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads),
        "--worker-class", "gthread" if threads > 1 else "sync", "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except requests.RequestException:
            pass
        time.sleep(0.2)
    stop(process)
    raise SystemExit("gunicorn did not answer /health within 30 s")


def start_worker(env: dict[str, str], processes: int, threads: int, *, log=None, nice: int = 0) -> subprocess.Popen:
    """`manage.py rundramatiq` in its own session (it forks the worker processes); its output to `log`. `nice`:
    its CPU niceness (the production set-up's `Nice=` for the worker, so the webhook answers first in a burst)."""
    command = [
        "nice", "-n", str(nice),
        sys.executable, "manage.py", "rundramatiq", "--processes", str(processes), "--threads", str(threads),
    ]  # fmt: skip
    return subprocess.Popen(
        command, cwd=ROOT, env=env, start_new_session=True, stdout=log, stderr=subprocess.STDOUT if log else None
    )


def stop(process: subprocess.Popen) -> None:
    """SIGTERM the process's session (it and what it forked), SIGKILL after 15 s."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def postgres_major_version() -> int:
    """The major version of the PostgreSQL that Django's default database runs on."""
    from django.db import connections
    from django.db.backends.postgresql.base import DatabaseWrapper

    database = connections["default"]
    if not isinstance(database, DatabaseWrapper):
        raise TypeError(f"the benches run on PostgreSQL, not {database.vendor}")
    return database.pg_version // 10000


def flush_namespace(client, namespace: str) -> int:
    """Delete every Redis key of one Dramatiq namespace (queues, heartbeats, rate limits); how many."""
    keys = list(client.scan_iter(match=f"{namespace}:*"))
    for key in keys:
        client.delete(key)
    return len(keys)


def shop_env(
    *,
    database_url: str,
    redis_url: str,
    namespace: str,
    settings_module: str,
    tiktok_api_base: str,
    secret: str,
    business_id: str,
    access_token: str,
    sends_per_second: int,
    worker_timeout_ms: int,
    **extra: str,
) -> dict[str, str]:
    """The environment of a bench's gunicorn and workers: production settings (DEBUG off, a bench-only key)
    on the bench's database and namespace, TikTok pointed at the bench's fake, no AI; `extra` adds settings."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DRAMATIQ_NAMESPACE=namespace,
        DJANGO_SETTINGS_MODULE=settings_module,
        DEBUG="false",
        SECRET_KEY="bench-only-not-secret",
        SECURE_SSL_REDIRECT="false",
        LOG_LEVEL="WARNING",
        TIKTOK_APP_SECRET=secret,
        TIKTOK_BUSINESS_ID=business_id,
        TIKTOK_ACCESS_TOKEN=access_token,
        TIKTOK_API_BASE=tiktok_api_base,
        TIKTOK_SENDS_PER_SECOND=str(sends_per_second),
        dramatiq_worker_timeout=str(worker_timeout_ms),
        OPENAI_API_KEY="",
        PYTHONPATH=str(ROOT),
        # No collectstatic for a bench: WhiteNoise's warning about the missing folder is noise here.
        PYTHONWARNINGS="ignore:No directory at:UserWarning",
        **extra,
    )
    return env


@contextmanager
def django_on_bench_database(options: argparse.Namespace, **environment: str) -> Iterator[str]:
    """For a bench that runs the shop's code in this process: the servers (`use_servers`), a fresh database
    (--database) and Django set up on it, in --namespace and as in production (a local .env from `make run` says
    DEBUG=true, which would also record every query); `environment` adds or overrides settings. Yields the database
    URL; at the end empties the namespace and, unless --keep, drops the database."""
    use_servers()
    bench_url = bench_database_url(options.database)
    recreate_database(bench_url)
    os.environ["DATABASE_URL"] = bench_url
    os.environ["DRAMATIQ_NAMESPACE"] = options.namespace
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "philia.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.update(environment)
    import django

    django.setup()
    try:
        yield bench_url
    finally:
        from django.db import connections

        from philia.jobs import redis_broker

        connections.close_all()
        flush_namespace(redis_broker().client, options.namespace)
        if not options.keep:
            drop_database(bench_url)


@dataclass(frozen=True)
class BenchShop:
    """The running shop of a bench: its database, gunicorn's port, the fake TikTok API, the processes' env and the
    pids of the processes it started (gunicorn's master, rundramatiq's)."""

    database_url: str
    port: int
    fake: Any
    env: dict[str, str]
    pids: tuple[int, ...] = ()


@contextmanager
def running_bench_shop(
    options: argparse.Namespace,
    *,
    settings_module: str,
    worker_log: Any,
    worker_nice: int = 0,
    **extra: str,
) -> Iterator[BenchShop]:
    """What a bench of the running shop needs: the servers (`use_servers`), a fresh database (--database), migrated
    and seeded, the fake TikTok API started in this process, gunicorn (--web-workers) and the worker
    (--worker-processes, --worker-threads, niceness `worker_nice`, output to `worker_log`) in the
    environment of `shop_env` (with --namespace, --sends-per-second and --worker-timeout-ms). At the end stops them
    all, empties the namespace and, unless --keep, drops the database."""
    import redis

    from testing.tiktok import FakeTikTok

    use_servers()
    bench_url = bench_database_url(options.database)
    redis_url = os.environ["REDIS_URL"]
    recreate_database(bench_url)
    fake = FakeTikTok().start()
    env = shop_env(
        database_url=bench_url,
        redis_url=redis_url,
        namespace=options.namespace,
        settings_module=settings_module,
        tiktok_api_base=fake.base_url,
        secret=SECRET,
        business_id=BUSINESS_ID,
        access_token=ACCESS_TOKEN,
        sends_per_second=options.sends_per_second,
        worker_timeout_ms=options.worker_timeout_ms,
        **extra,
    )
    processes: list[subprocess.Popen] = []
    try:
        for command in (["migrate", "--no-input", "-v", "0"], ["seed"]):
            subprocess.run(
                [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
            )
        port = free_port()
        processes.append(start_gunicorn(env, port, options.web_workers, 1))
        processes.append(
            start_worker(env, options.worker_processes, options.worker_threads, log=worker_log, nice=worker_nice)
        )
        pids = tuple(process.pid for process in processes)
        yield BenchShop(database_url=bench_url, port=port, fake=fake, env=env, pids=pids)
    finally:
        for process in reversed(processes):
            stop(process)
        fake.stop()
        client = redis.Redis.from_url(redis_url)
        flush_namespace(client, options.namespace)
        client.close()
        if not options.keep:
            drop_database(bench_url)


def add_database_options(parser: argparse.ArgumentParser, *, database: str, namespace: str) -> None:
    """--database, --namespace and --keep: the bench's own database and Dramatiq namespace, cleaned up at the end."""
    parser.add_argument(
        "--database", default=database, help="name of the database to create and drop (default %(default)s)"
    )
    parser.add_argument(
        "--namespace", default=namespace, help="Dramatiq namespace, emptied at the end (default %(default)s)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")


def post_delivery(connection: http.client.HTTPConnection, path: str, body: bytes, headers: dict[str, str]) -> bool:
    """POST one signed delivery on a kept-alive connection (reopened after a "Connection: close" or an error);
    True when the shop took it (200)."""
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        ok = response.status == 200
        if response.getheader("Connection", "").lower() == "close":
            connection.close()
    except (OSError, http.client.HTTPException):
        ok = False
        connection.close()
    return ok


def signed_dm(
    *, text: str, username: str, message_id: str, timestamp_ms: int | None = None, signed_at: int | None = None
) -> tuple[bytes, dict[str, str]]:
    """A customer's DM to the bench shop as TikTok delivers it: the im_receive_msg body and its headers, signed
    with SECRET at `signed_at` (default now, in seconds)."""
    from tiktok.signatures import signature_header
    from tiktok.simulation import customer_message_content, envelope_body

    content = customer_message_content(
        text=text, username=username, business_id=BUSINESS_ID, message_id=message_id, timestamp_ms=timestamp_ms
    )
    body = envelope_body(event="im_receive_msg", content=content, business_id=BUSINESS_ID)
    timestamp = int(time.time()) if signed_at is None else signed_at
    headers = {
        "Content-Type": "application/json",
        "TikTok-Signature": signature_header(body=body, secret=SECRET, timestamp=timestamp),
    }
    return body, headers


def run_threads(targets: Iterable[Callable[[], object]]) -> None:
    """Start a thread for each target, all before any is waited for, then wait for them all."""
    threads = [threading.Thread(target=target) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
