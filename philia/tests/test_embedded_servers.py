"""The embedded PostgreSQL and Redis (philia/embedded): started by the first command that needs them, shared by
the next ones, stopped by whoever asked, and every bad situation (a port taken, a server or `make run` killed
with `kill -9`, a data folder that cannot be written or comes from an older PostgreSQL) met with one line
saying what to do, or recovered from by itself.

Every test runs real servers in a data folder of its own (EMBEDDED_DATA_DIR), through real commands in
processes with DATABASE_URL and REDIS_URL unset, as on a fresh machine."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis
import requests
from django.conf import settings

from philia.embedded.processes import process_name

ROOT = settings.BASE_DIR


def _environment(data: Path, **extra: str) -> dict[str, str]:
    unset = ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "EMBEDDED_POSTGRES_PORT", "EMBEDDED_REDIS_PORT")
    environment = {name: value for name, value in os.environ.items() if name not in unset}
    return {**environment, "EMBEDDED_DATA_DIR": str(data), "LOG_LEVEL": "WARNING", **extra}


def embedded(data: Path, *arguments: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "philia.embedded", *arguments],
        cwd=ROOT, env=_environment(data, **extra), capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def urls(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    assert result.returncode == 0, result.stderr
    return dict(line.split("=", 1) for line in result.stdout.splitlines())


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The whole of stderr, which must be one line and no traceback, for a command that failed."""
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.endswith("\n") and result.stderr.count("\n") == 1, result.stderr
    return result.stderr.strip()


def postmaster_pid(data: Path) -> int:
    return int((data / "postgres" / "postmaster.pid").read_text().split()[0])


@pytest.fixture
def data(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "var"
    try:
        yield folder
    finally:
        embedded(folder, "stop", "--force")


def test_the_first_command_starts_both_servers_and_the_next_ones_share_them(data):
    first = embedded(data, "start")
    second = embedded(data, "start")

    assert urls(first) == urls(second)
    assert first.stderr.count("Started the embedded") == 2
    assert second.stderr == ""
    with psycopg.connect(urls(first)["DATABASE_URL"]) as connection:
        assert connection.execute("SHOW server_version").fetchone()[0].startswith("18.")
        assert connection.execute("SELECT current_database()").fetchone() == ("philia",)
    assert redis.Redis.from_url(urls(first)["REDIS_URL"]).ping() is True
    assert embedded(data, "status").stdout.splitlines() == [
        f"postgres: running on 127.0.0.1:{urls(first)['DATABASE_URL'].split(':')[2].split('/')[0]}",
        f"redis: running on 127.0.0.1:{urls(first)['REDIS_URL'].split(':')[2].split('/')[0]}",
    ]


def test_a_manage_py_command_with_no_database_url_uses_the_embedded_servers(data):
    script = "from django.db import connection; print(connection.settings_dict['PORT'], connection.vendor)"

    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", script],
        cwd=ROOT, env=_environment(data), capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    port = urls(embedded(data, "start"))["DATABASE_URL"].split(":")[2].split("/")[0]
    assert result.stdout.split() == [port, "postgresql"]


def test_commands_starting_at_once_share_one_server(data):
    commands = [
        subprocess.Popen(
            [sys.executable, "-m", "philia.embedded", "start"],
            cwd=ROOT,
            env=_environment(data),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for _ in range(3)
    ]
    outputs = [command.communicate(timeout=120) for command in commands]

    assert [command.returncode for command in commands] == [0, 0, 0], [stderr for _, stderr in outputs]
    assert len({stdout for stdout, _ in outputs}) == 1
    assert sum(stderr.count("Started the embedded PostgreSQL") for _, stderr in outputs) == 1


def test_servers_killed_with_kill_9_are_started_again_by_the_next_command_with_their_data(data):
    before = urls(embedded(data, "start"))
    with psycopg.connect(before["DATABASE_URL"], autocommit=True) as connection:
        connection.execute("CREATE TABLE kept (note text)")
        connection.execute("INSERT INTO kept VALUES ('still here')")
        killed = postmaster_pid(data)
        os.kill(killed, signal.SIGKILL)  # with this connection still open: its backend lingers a moment
    redis.Redis.from_url(before["REDIS_URL"]).set("kept", "still here")
    redis_pid = int((data / "redis" / "redis.pid").read_text())
    time.sleep(1.1)  # Redis writes its append-only file every second
    os.kill(redis_pid, signal.SIGKILL)

    after = urls(embedded(data, "start"))

    assert after == before
    assert postmaster_pid(data) != killed
    with psycopg.connect(after["DATABASE_URL"]) as connection:
        assert connection.execute("SELECT note FROM kept").fetchall() == [("still here",)]
    assert redis.Redis.from_url(after["REDIS_URL"]).get("kept") == b"still here"


def test_stop_refuses_while_a_command_uses_the_servers_and_stops_them_after(data):
    user = subprocess.Popen(
        [sys.executable, "-c", "from philia import embedded; embedded.use(); print('using', flush=True); input()"],
        cwd=ROOT, env=_environment(data), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert user.stdout.readline() == "using\n"

        refused = embedded(data, "stop")

        assert "in use by another command" in one_line(refused)
        assert embedded(data, "status").stdout.count("running") == 2
    finally:
        user.communicate("\n", timeout=30)

    stopped = embedded(data, "stop")

    assert stopped.returncode == 0, stopped.stderr
    assert embedded(data, "status").stdout.splitlines() == ["postgres: stopped", "redis: stopped"]


def test_servers_started_to_be_stopped_when_unused_stop_with_their_last_user(data):
    script = (
        "import sys; from philia import embedded; embedded.use(stop_when_unused={0}); "
        "print('using', flush=True); sys.stdin.readline()"
    )
    starter = subprocess.Popen(
        [sys.executable, "-c", script.format(True)],
        cwd=ROOT, env=_environment(data), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert starter.stdout.readline() == "using\n"
    joiner = subprocess.Popen(
        [sys.executable, "-c", script.format(False)],
        cwd=ROOT, env=_environment(data), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert joiner.stdout.readline() == "using\n"

    starter.communicate("\n", timeout=60)
    still_running = embedded(data, "status").stdout
    joiner.communicate("\n", timeout=60)

    assert still_running.count("running") == 2
    assert embedded(data, "status").stdout.splitlines() == ["postgres: stopped", "redis: stopped"]


@pytest.mark.parametrize(
    ("setting", "server"), [("EMBEDDED_POSTGRES_PORT", "PostgreSQL"), ("EMBEDDED_REDIS_PORT", "Redis")]
)
def test_a_chosen_port_taken_by_another_server_is_one_line_saying_what_to_do(data, setting, server):
    with socket.socket() as other_server:
        other_server.bind(("127.0.0.1", 0))
        other_server.listen()
        port = other_server.getsockname()[1]

        result = embedded(data, "start", **{setting: str(port)})

    assert one_line(result) == (
        f"Port {port} ({setting}) is taken by another program: stop it, or set {setting} to a free port."
    )
    assert not (data / "postgres" / "postmaster.pid").exists()


def test_a_kept_port_taken_by_another_server_since_is_given_up_for_a_free_one(data):
    first = urls(embedded(data, "start"))
    assert embedded(data, "stop").returncode == 0
    port = int(first["DATABASE_URL"].split(":")[2].split("/")[0])
    with socket.socket() as other_server:
        other_server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        other_server.bind(("127.0.0.1", port))
        other_server.listen()

        second = embedded(data, "start")

    assert urls(second)["DATABASE_URL"] != first["DATABASE_URL"]
    assert urls(second)["REDIS_URL"] == first["REDIS_URL"]
    assert f"Port {port} of the embedded PostgreSQL is taken by another program now: moving it." in second.stderr
    with psycopg.connect(urls(second)["DATABASE_URL"]) as connection:
        assert connection.execute("SELECT 1").fetchone() == (1,)


def test_a_chosen_free_port_taken_before_the_server_binds_it_is_given_up_for_another(data):
    with socket.socket() as other_server:
        other_server.bind(("127.0.0.1", 0))
        other_server.listen()
        port = other_server.getsockname()[1]
        data.mkdir(parents=True)
        (data / "ports.json").write_text(json.dumps({"postgres": port}))
        # As when another program takes the port between our check and the server's bind: the check says free.
        script = (
            "import philia.embedded as embedded; embedded.port_is_free = lambda port: True; "
            "print(embedded.use(redis=False).database_url())"
        )

        result = subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env=_environment(data),
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert result.returncode == 0, result.stderr
    moved = int(result.stdout.split(":")[2].split("/")[0])
    assert moved != port
    assert f"Port {port} of the embedded PostgreSQL is taken by another program now: moving it." in result.stderr
    assert json.loads((data / "ports.json").read_text())["postgres"] == moved


def test_a_data_folder_that_cannot_be_made_is_one_line_saying_what_to_do(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    data = tmp_path / "a-file" / "var"

    result = embedded(data, "start")

    assert one_line(result) == (
        f"Cannot use {data} for the embedded PostgreSQL and Redis (Not a directory; set EMBEDDED_DATA_DIR to a "
        "folder this user can write, or set DATABASE_URL and REDIS_URL to servers of your own)."
    )


def test_a_data_folder_this_user_cannot_write_is_one_line_saying_what_to_do(tmp_path):
    data = tmp_path / "var"
    data.mkdir()
    start = "import sys; from philia.embedded.__main__ import main; "
    if os.geteuid() == 0:
        # Root may write anywhere: the command gives up root (to nobody) once Python and the module are loaded.
        tmp_path.chmod(0o755)
        start += "import os; os.setgid(65534); os.setuid(65534); "
    else:
        data.chmod(0o555)

    result = subprocess.run(
        [sys.executable, "-c", start + "sys.exit(main(['start']))"],
        cwd=ROOT, env=_environment(data), capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert one_line(result) == (
        f"Cannot use {data} for the embedded PostgreSQL and Redis (Permission denied; make it writable for this "
        "user or set EMBEDDED_DATA_DIR to a folder this user can write, or set DATABASE_URL and REDIS_URL to "
        "servers of your own)."
    )


def test_a_data_folder_from_an_older_postgresql_is_left_as_it_is_with_one_line_saying_what_to_do(data):
    (data / "postgres").mkdir(parents=True)
    (data / "postgres" / "PG_VERSION").write_text("16\n")
    (data / "postgres" / "base").mkdir()

    result = embedded(data, "start")

    postgres = data / "postgres"
    assert one_line(result) == (
        f"{postgres} holds a PostgreSQL 16 database and this is PostgreSQL 18; nothing was changed. Keep it by "
        f"moving it away (mv {postgres} {postgres}-16) to start with an empty shop, or upgrade it with pg_upgrade "
        "from PostgreSQL 16."
    )
    assert sorted(path.name for path in postgres.iterdir()) == ["PG_VERSION", "base"]
    assert (postgres / "PG_VERSION").read_text() == "16\n"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_health(url: str, *, seconds: float, log: Path) -> None:
    deadline = time.monotonic() + seconds
    answer = "no answer"
    while time.monotonic() < deadline:
        try:
            response = requests.get(f"{url}/health", timeout=2)
            if response.status_code == 200:
                return
            answer = f"{response.status_code} {response.text}"
        except requests.RequestException as error:
            answer = str(error)
        time.sleep(0.25)
    raise AssertionError(f"{url}/health did not answer 200 within {seconds} s ({answer}):\n{log.read_text()[-3000:]}")


def _runshop(data: Path, port: int, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "runshop", "--port", str(port), "--threads", "1"],
        cwd=ROOT, env=_environment(data, DEBUG="true", SWEEPS_LATE_AFTER_SECONDS="600"),
        stdout=log.open("ab"), stderr=subprocess.STDOUT,
    )  # fmt: skip


def _children_of(pid: int) -> list[int]:
    import psutil

    return [child.pid for child in psutil.Process(pid).children(recursive=True)]


def test_runshop_killed_with_kill_9_takes_its_processes_with_it_and_the_next_runshop_starts(data, tmp_path):
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "runshop.log"
    shop = _runshop(data, port, log)
    try:
        _wait_for_health(url, seconds=120, log=log)
        assert requests.get(f"{url}/admin/login/", timeout=5).status_code == 200
        children = _children_of(shop.pid)

        shop.kill()
        shop.wait(timeout=10)

        deadline = time.monotonic() + 30
        while any(process_name(child) for child in children) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert [child for child in children if process_name(child)] == []

        shop = _runshop(data, port, log)
        _wait_for_health(url, seconds=60, log=log)
    finally:
        shop.send_signal(signal.SIGINT)  # Ctrl-C
        try:
            shop.wait(timeout=60)
        finally:
            if shop.poll() is None:
                shop.kill()
    assert shop.returncode == 0, log.read_text()[-3000:]
    # The first runshop started the servers to be stopped when unused: the second, their last user, stopped them.
    assert embedded(data, "status").stdout.splitlines() == ["postgres: stopped", "redis: stopped"]


def test_runshop_started_on_stopped_servers_stops_all_it_started_on_ctrl_c(data, tmp_path):
    port = _free_port()
    log = tmp_path / "runshop.log"
    shop = _runshop(data, port, log)
    try:
        _wait_for_health(f"http://127.0.0.1:{port}", seconds=120, log=log)
        children = _children_of(shop.pid)
    finally:
        shop.send_signal(signal.SIGINT)
        shop.wait(timeout=60)

    assert shop.returncode == 0, log.read_text()[-3000:]
    assert [child for child in children if process_name(child)] == []
    assert embedded(data, "status").stdout.splitlines() == ["postgres: stopped", "redis: stopped"]


def test_runshop_refuses_a_web_port_another_program_has(data):
    with socket.socket() as other_server:
        other_server.bind(("127.0.0.1", 0))
        other_server.listen()
        port = other_server.getsockname()[1]

        result = subprocess.run(
            [sys.executable, "manage.py", "runshop", "--port", str(port)],
            cwd=ROOT, env=_environment(data), capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"CommandError: Port {port} is taken by another program: stop it, or run on another (make run PORT=8001)."
    )
