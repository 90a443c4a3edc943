"""`manage.py runshop` (what `make run` runs): the whole shop on this machine, in production's shape.

It migrates, puts the demo stock on sale (once), makes sure the owner can log in, then runs the web server
(gunicorn), a Dramatiq worker (`rundramatiq`) and the scheduler (`crontab`), each a process of its own, until
Ctrl-C stops them all. Embedded servers this command started are stopped too, once nothing else uses them.

Each child leads its own process group, recorded in `var/runshop.json`: if this command is killed outright
(`kill -9`), its children are told by the kernel (Linux) and stop, and whatever is left of them is stopped by
the next `runshop` before it starts.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError, CommandParser

from philia import embedded
from philia.embedded.processes import port_is_free, signal_process, wait_gone
from philia.management.arguments import OneLineErrors, integer, text

STOP_SECONDS = 15.0


def _die_with_parent() -> None:
    """In the child, before it runs: SIGTERM it when runshop dies, however it dies (Linux's PR_SET_PDEATHSIG)."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG


class Command(OneLineErrors):
    help = (
        "Run the whole shop on this machine: migrate, seed the demo stock (idempotent), make sure the owner can "
        "log in, then start the web server (gunicorn), a Dramatiq worker and the scheduler, each its own process, "
        "until Ctrl-C stops them all. Uses the embedded PostgreSQL and Redis unless DATABASE_URL / REDIS_URL are "
        "set. `make run` runs this."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--host",
            type=text(max_length=253),
            default="127.0.0.1",
            help="Address the web server listens on (127.0.0.1).",
        )
        parser.add_argument(
            "--port",
            type=integer(minimum=1, maximum=65535),
            default=8000,
            help="Port the web server listens on (8000).",
        )
        parser.add_argument(
            "--threads", type=integer(minimum=1, maximum=64), default=4, help="Threads of the Dramatiq worker (4)."
        )
        parser.add_argument("--no-seed", action="store_true", help="Do not add the demo stock.")

    def handle(self, *args: Any, host: str, port: int, threads: int, no_seed: bool, **options: Any) -> None:
        state = embedded.data_dir() / "runshop.json"
        state.parent.mkdir(parents=True, exist_ok=True)
        self.stop_left_behind(state)
        if not port_is_free(port):
            raise CommandError(
                f"Port {port} is taken by another program: stop it, or run on another (make run PORT=8001)."
            )
        embedded.stop_when_unused_if_started_here()
        call_command("migrate", interactive=False, verbosity=0)
        if not no_seed:
            call_command("seed", verbosity=0)
        call_command("ensure_staff")
        children = self.start_children(host=host, port=port, threads=threads)
        state.write_text(json.dumps({"pid": os.getpid(), "groups": [child.pid for child in children.values()]}))
        self.stdout.write(
            f"The shop is running at http://{host}:{port}/ (the admin at /admin/), with a worker and the scheduler. "
            "Ctrl-C stops it."
        )
        try:
            failed = self.wait(children)
        finally:
            self.stop(children)
            state.unlink(missing_ok=True)
        if failed:
            raise CommandError(failed)

    def start_children(self, *, host: str, port: int, threads: int) -> dict[str, subprocess.Popen]:
        python, manage = sys.executable, str(settings.BASE_DIR / "manage.py")
        commands = {
            "web server": [
                str(Path(python).parent / "gunicorn"), "philia.wsgi", "--bind", f"{host}:{port}", "--workers", "2",
                "--threads", "4", "--worker-class", "gthread", "--timeout", "60", "--access-logfile", "-",
            ],
            "worker": [python, manage, "rundramatiq", "--processes", "1", "--threads", str(threads)],
            "scheduler": [python, manage, "crontab"],
        }  # fmt: skip
        return {
            name: subprocess.Popen(command, cwd=settings.BASE_DIR, start_new_session=True, preexec_fn=_die_with_parent)
            for name, command in commands.items()
        }

    def wait(self, children: dict[str, subprocess.Popen]) -> str:
        """Until Ctrl-C (or SIGTERM): "" then; or why the shop stopped when a child exited by itself."""
        stopping: list[str] = []

        def ask_to_stop(signum: int, frame: Any) -> None:
            stopping.append(signal.Signals(signum).name)

        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, ask_to_stop)
        while not stopping:
            for name, child in children.items():
                if child.poll() is not None:
                    return f"The {name} stopped (exit status {child.returncode}), so the shop was stopped; see above."
            time.sleep(0.2)
        self.stdout.write("Stopping the shop...")
        return ""

    def stop(self, children: dict[str, subprocess.Popen]) -> None:
        """SIGTERM each child (gunicorn and rundramatiq stop their own workers, finishing what they were doing),
        then SIGKILL the groups of those still running after STOP_SECONDS."""
        for child in children.values():
            signal_process(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            _signal_group(child.pid, signal.SIGKILL)  # what a stopped child may have left in its group
            child.wait()

    def stop_left_behind(self, state: Path) -> None:
        """Stop what a `runshop` killed outright left running (processes of its recorded groups still working in
        this project); refuse if that runshop is still alive."""
        try:
            previous = json.loads(state.read_text())
        except (OSError, ValueError):
            return
        pid = previous.get("pid")
        if isinstance(pid, int) and pid != os.getpid() and "runshop" in " ".join(_command_line(pid)):
            raise CommandError(f"The shop is already running (runshop, pid {pid}): stop it with Ctrl-C, or kill {pid}.")
        left = _processes_in(set(previous.get("groups", [])), folder=settings.BASE_DIR)
        for process in left:
            signal_process(process, signal.SIGTERM)
        for process in left:
            if not wait_gone(process, seconds=STOP_SECONDS):
                signal_process(process, signal.SIGKILL)
        state.unlink(missing_ok=True)


def _signal_group(group: int, signum: int) -> None:
    try:
        os.killpg(group, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _command_line(pid: int) -> list[str]:
    import psutil

    try:
        return psutil.Process(pid).cmdline()
    except psutil.Error:
        return []


def _processes_in(groups: set[int], *, folder: Path) -> list[int]:
    """The live processes of `groups` working in `folder` (a recorded group id may belong to others by now)."""
    import psutil

    found = []
    for process in psutil.process_iter(["pid", "cwd"]):
        try:
            if os.getpgid(process.pid) in groups and process.info["cwd"] == str(folder):
                found.append(process.pid)
        except ProcessLookupError:
            continue
    return found
