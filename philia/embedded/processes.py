"""What the embedded servers need to know about processes and ports, cheaply (no psutil on the fast path)."""

import errno
import os
import random
import signal
import socket
import time
from pathlib import Path


class EmbeddedError(Exception):
    """Something the person running the command has to fix; the message is one line saying what to do."""


class PortTaken(EmbeddedError):
    """The server could not listen on its port: another program has it."""


def process_name(pid: int) -> str | None:
    """The short name of the live process `pid` ("postgres", "redis-server"), or None when there is none (a
    zombie counts as gone: nobody may have reaped it yet)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        return _process_name_portably(pid)
    # "pid (comm) state ...": comm may itself hold spaces or parentheses, so split at the last ")".
    name, _, rest = stat[stat.index("(") + 1 :].rpartition(")")
    return None if rest.split()[0] in ("Z", "X") else name


def _process_name_portably(pid: int) -> str | None:
    import psutil

    try:
        process = psutil.Process(pid)
        return None if process.status() == psutil.STATUS_ZOMBIE else process.name()
    except psutil.Error:
        return None


def wait_gone(pid: int, *, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while process_name(pid) is not None:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def signal_process(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def kill_left_behind(directory: Path, *, seconds: float = 5.0) -> None:
    """Processes still working in `directory` after their server died (PostgreSQL's backends chdir to their
    data folder and quit soon after the postmaster is gone): given `seconds` to go, then killed, so the shared
    memory they hold does not keep a new server from starting."""
    import psutil

    target = str(directory.resolve())
    left = []
    for process in psutil.process_iter(["pid", "cwd", "status"]):
        if process.info["cwd"] == target and process.info["status"] != psutil.STATUS_ZOMBIE:
            left.append(process)
    for process in left:
        if not wait_gone(process.pid, seconds=seconds):
            signal_process(process.pid, signal.SIGKILL)
            wait_gone(process.pid, seconds=seconds)


def port_is_free(port: int) -> bool:
    """Whether a server could listen on 127.0.0.1:`port` now (bound the way servers bind, with SO_REUSEADDR,
    so a connection of the last run still closing does not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            if error.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def free_port() -> int:
    """A free port below the system's range for outgoing connections (32768 and up on Linux), so that one of
    those never takes a server's port between two starts."""
    for _ in range(100):
        port = random.randrange(20_000, 32_000)
        if port_is_free(port):
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
