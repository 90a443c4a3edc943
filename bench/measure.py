"""What the running stack spends on a phase of bench/pipeline.py, per DM: the CPU of its processes (from /proc),
the statements its connections send PostgreSQL (pg_stat_statements) and the commands Redis runs (INFO
commandstats); and the PostgreSQL of the bench's own that records those statements.

The stack is every process of gunicorn and `rundramatiq` (masters and workers), the PostgreSQL server (postmaster,
backends, background processes) and the Redis server; not the bench's client or its fake TikTok API. A process's
CPU counts its own time and that of its children that have exited (reaped), so the sum over a process tree only
grows, whoever comes and goes. The bench reads the database as its own role, MONITOR_ROLE (`SET ROLE`), whose
statements are left out of the count.
"""

import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import psycopg
import redis

from bench.common import free_port
from philia.embedded.postgres import ROLE, SERVER_OPTIONS, EmbeddedError, EmbeddedPostgres

MONITOR_ROLE = "bench_monitor"
STATEMENT_OPTIONS = (
    "-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track_utility=on "
    "-c pg_stat_statements.track=all"
)
TOP = 25  # statements and commands listed per phase


class StatementsPostgres(EmbeddedPostgres):
    """A PostgreSQL of one bench run from the embedded wheel's programs, loading pg_stat_statements: initialised in
    a fresh folder (as the embedded one, under its own system user when we are root), removed by `statements_server`."""

    def start(self, *, port: int) -> None:
        self._initialise()
        self._run(
            "pg_ctl", "start", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
            "-o", f"-p {port} {SERVER_OPTIONS} {STATEMENT_OPTIONS}",
            failure=lambda output: self._why_not_started(port, output, logged_before=0),
        )  # fmt: skip

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])


@contextmanager
def statements_server() -> Iterator[None]:
    """With DATABASE_URL unset, a PostgreSQL of this run's own that records statements (StatementsPostgres on a
    free port, DATABASE_URL pointed at it), stopped and removed at the end; with it set, that server as it is."""
    if os.environ.get("DATABASE_URL"):
        yield
        return
    root = Path(tempfile.mkdtemp(prefix="bench-pipeline-postgres-"))
    root.chmod(0o711)  # passable by the server's own user when we are root
    server = StatementsPostgres(root)
    try:
        port = free_port()
        server.start(port=port)
        os.environ["DATABASE_URL"] = f"postgres://{ROLE}@127.0.0.1:{port}/postgres"
        print(f"PostgreSQL of this run (pg_stat_statements loaded) on 127.0.0.1:{port}, in {root}")
        yield
    except EmbeddedError as error:
        raise SystemExit(str(error)) from None
    finally:
        os.environ.pop("DATABASE_URL", None)
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def prepare_statements(database_url: str) -> str | None:
    """Make the bench's database ready to count statements: the extension, and MONITOR_ROLE (reads everything,
    resets the counts) that this connection's user may become. None when ready, else why the figure is unavailable."""
    try:
        with psycopg.connect(database_url, autocommit=True) as connection:
            libraries = connection.execute("SHOW shared_preload_libraries").fetchall()[0][0]
            if "pg_stat_statements" not in libraries:
                return "the server does not load pg_stat_statements (shared_preload_libraries)"
            connection.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            exists = connection.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (MONITOR_ROLE,)).fetchone()
            if exists is None:
                connection.execute(f"CREATE ROLE {MONITOR_ROLE}")
            connection.execute(f"GRANT pg_read_all_stats, pg_read_all_data TO {MONITOR_ROLE}")
            connection.execute(f"GRANT EXECUTE ON FUNCTION pg_stat_statements_reset TO {MONITOR_ROLE}")
            connection.execute(f"GRANT {MONITOR_ROLE} TO CURRENT_USER")
    except psycopg.Error as error:
        return f"pg_stat_statements could not be set up: {str(error).strip()}"
    return None


def listening_pid(url: str) -> int | None:
    """The local process listening on the port of `url` (a server of the stack), or None (not on this machine)."""
    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        return None
    try:
        connections = psutil.net_connections(kind="tcp")
    except psutil.AccessDenied:
        return None
    return next(
        (
            c.pid
            for c in connections
            if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr[1] == parts.port and c.pid
        ),
        None,
    )


def stack_cpu_seconds(pids: Sequence[int]) -> dict[str, float]:
    """User and system CPU of the process trees rooted at `pids`, exited children included, by tree (named by its
    root: gunicorn, rundramatiq, postgres, redis)."""
    by_tree: dict[str, float] = {}
    for pid in pids:
        try:
            root = psutil.Process(pid)
            members = [root, *root.children(recursive=True)]
            name = tree_name(root)
        except psutil.NoSuchProcess:
            continue
        for process in members:
            try:
                times = process.cpu_times()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            cpu = times.user + times.system + times.children_user + times.children_system
            by_tree[name] = by_tree.get(name, 0.0) + cpu
    return by_tree


def tree_name(root: psutil.Process) -> str:
    """A short name for the process tree rooted at `root`, from its command line."""
    words = " ".join(root.cmdline()) or root.name()
    for name in ("gunicorn", "rundramatiq", "postgres", "redis"):
        if name in words:
            return {"gunicorn": "web", "rundramatiq": "workers"}.get(name, name)
    return root.name()


@dataclass
class Usage:
    """What the stack spent on one phase."""

    dms: int
    cpu_by_tree: dict[str, float]  # process tree (web, workers, postgres, redis) -> CPU seconds
    redis_calls: dict[str, int]  # command -> calls
    statements: dict[str, int] | None  # statement text -> calls; None when unavailable
    statement_ms: dict[str, float] = field(default_factory=dict)  # statement text -> planning + execution, ms

    def plus(self, other: "Usage") -> "Usage":
        """This phase's and `other`'s together."""

        def added(mine: dict, theirs: dict) -> dict:
            return {key: mine.get(key, 0) + theirs.get(key, 0) for key in {**mine, **theirs}}

        statements = None
        if self.statements is not None and other.statements is not None:
            statements = added(self.statements, other.statements)
        return Usage(
            dms=self.dms + other.dms,
            cpu_by_tree=added(self.cpu_by_tree, other.cpu_by_tree),
            redis_calls=added(self.redis_calls, other.redis_calls),
            statements=statements,
            statement_ms=added(self.statement_ms, other.statement_ms),
        )

    @property
    def cpu_seconds(self) -> float:
        return sum(self.cpu_by_tree.values())

    def line(self, name: str) -> str:
        per = max(self.dms, 1)
        sql = f"{sum(self.statements.values()) / per:.0f}" if self.statements is not None else "unavailable"
        return (
            f"{name} per DM: CPU {self.cpu_seconds * 1000 / per:.1f} ms, SQL round trips {sql}, "
            f"Redis commands {sum(self.redis_calls.values()) / per:.0f}"
        )

    def details(self) -> list[str]:
        """The top statements (calls and the server's planning and execution time, per DM) and Redis commands by
        calls per DM."""
        per = max(self.dms, 1)
        trees = ", ".join(f"{tree} {cpu * 1000 / per:.1f}" for tree, cpu in self.cpu_by_tree.items())
        lines = [f"    CPU ms per DM by process: {trees}"]
        if self.statements is not None:
            total_ms = sum(self.statement_ms.get(text, 0.0) for text in self.statements) / per
            lines.append(
                f"    SQL round trips per DM {sum(self.statements.values()) / per:.2f} (planned and run in "
                f"{total_ms:.2f} ms), the most called, with their ms per DM:"
            )
            for text, calls in sorted(self.statements.items(), key=lambda item: -item[1])[:TOP]:
                ms = self.statement_ms.get(text, 0.0) / per
                lines.append(f"      {calls / per:6.2f} {ms:5.2f}  {short_statement(text)}")
        lines.append(f"    Redis commands per DM {sum(self.redis_calls.values()) / per:.2f}, the most called:")
        for command, calls in sorted(self.redis_calls.items(), key=lambda item: -item[1])[:TOP]:
            lines.append(f"      {calls / per:6.2f}  {command}")
        return lines


def short_statement(text: str) -> str:
    """A statement as one line with its column lists left out, so statements on the same table tell apart."""
    text = " ".join(text.split())
    text = re.sub(r"^SELECT (?!1 )(.+?) FROM ", "SELECT … FROM ", text)
    text = re.sub(r'\(("[a-z_]+"(, )?)+\)', "(…)", text)
    return text[:170]


@dataclass
class Meter:
    """Counts between `start` and `stop` what the stack's processes (`pids`) spend, the statements of the bench's
    database (read through `monitor`, a connection as MONITOR_ROLE, or None when unavailable) and the commands of
    Redis (`redis_client`, a connection of the bench's own: its INFO is the one command left out)."""

    pids: Sequence[int]
    monitor: psycopg.Connection | None
    redis_client: redis.Redis
    _cpu: dict[str, float] = field(default_factory=dict)
    _redis: dict[str, int] = field(default_factory=dict)

    def start(self) -> None:
        if self.monitor is not None:
            self.monitor.execute(
                "SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)"
            )
        self._redis = self._commands()
        self._cpu = stack_cpu_seconds(self.pids)

    def stop(self, *, dms: int) -> Usage:
        cpu = {tree: seconds - self._cpu.get(tree, 0.0) for tree, seconds in stack_cpu_seconds(self.pids).items()}
        after = self._commands()
        redis_calls = {name: calls - self._redis.get(name, 0) for name, calls in after.items()}
        redis_calls["info"] = redis_calls.get("info", 0) - 1  # the INFO of `start`
        redis_calls = {name: calls for name, calls in redis_calls.items() if calls > 0}
        statements, statement_ms = self._statements()
        return Usage(
            dms=dms, cpu_by_tree=cpu, redis_calls=redis_calls, statements=statements, statement_ms=statement_ms
        )

    def _commands(self) -> dict[str, int]:
        stats = self.redis_client.info("commandstats")
        return {name.removeprefix("cmdstat_"): int(values["calls"]) for name, values in stats.items()}

    def _statements(self) -> tuple[dict[str, int] | None, dict[str, float]]:
        """Calls and planning + execution ms by statement."""
        if self.monitor is None:
            return None, {}
        # Top-level statements only: a round trip is one statement the client sent.
        rows = self.monitor.execute(
            "SELECT s.query, sum(s.calls), sum(s.total_plan_time + s.total_exec_time) "
            "FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid "
            "WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND s.toplevel "
            "AND r.rolname <> %s GROUP BY s.query",
            (MONITOR_ROLE,),
        ).fetchall()
        # PostgreSQL's own foreign-key checks (`SELECT 1 FROM ONLY … FOR KEY SHARE OF x`) run inside the INSERT or
        # UPDATE that needs them and show as top-level statements: no client sent them, so they are no round trip.
        kept = [row for row in rows if not _foreign_key_check(row[0])]
        return {text: int(calls) for text, calls, _ in kept}, {text: float(ms) for text, _, ms in kept}


def _foreign_key_check(query: str) -> bool:
    return query.startswith('SELECT 1 FROM ONLY "') and query.endswith("FOR KEY SHARE OF x")
