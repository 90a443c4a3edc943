"""Buyers holding items at once, and what a round of them measures: holds, seconds, ms per hold and the CPU
of the buyers and of their PostgreSQL backends. `measure` runs them as threads of this process or spread over
forked processes (bench/reserve.py compares `reserve_item` with raw SQL on both)."""

import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from bench.common import run_threads


@dataclass
class Phase:
    holds: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # ms per hold
    client_cpu: float = 0.0  # seconds of CPU of the buyers' process(es)
    server_cpu: float | None = 0.0  # seconds of CPU of their PostgreSQL backends; None when not readable

    @property
    def per_second(self) -> float:
        return self.holds / self.seconds if self.seconds else 0.0

    def add(self, other: "Phase") -> None:
        self.holds += other.holds
        self.seconds += other.seconds
        self.latencies.extend(other.latencies)
        self.client_cpu += other.client_cpu
        self.server_cpu = (
            None if self.server_cpu is None or other.server_cpu is None else self.server_cpu + other.server_cpu
        )

    def cpu_text(self) -> str:
        """CPU per hold: the buyers' process(es) + the PostgreSQL backends."""
        if not self.holds:
            return "cpu n/a"
        client = self.client_cpu / self.holds * 1000
        server = "n/a" if self.server_cpu is None else f"{self.server_cpu / self.holds * 1000:.2f}"
        return f"cpu {client:.2f} + {server} ms"


def backend_cpu_seconds(pid: int) -> float | None:
    """User + system CPU so far of the PostgreSQL backend process `pid`, from /proc; None when that is not a
    PostgreSQL process on this machine (a remote server)."""
    try:
        if Path(f"/proc/{pid}/comm").read_text().strip() != "postgres":
            return None
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Buyer:
    """One buyer: `open` connects (before the start), `hold(n)` takes its n-th hold, `close` disconnects;
    `backend_pid` is its connection's PostgreSQL process."""

    open: Callable[[], None]
    hold: Callable[[int], None]
    close: Callable[[], None]
    backend_pid: Callable[[], int]


def run_buyers(
    make_buyer: Callable[[int], Buyer], buyers: list[int], holds: int, start, deadline
) -> tuple[list[list[float]], float, float | None, list[BaseException]]:
    """Run `buyers` as threads of this process, each released by `start` (a barrier) and stopping at `deadline`
    (a shared number, monotonic seconds): each one's ms per hold, this process's CPU seconds from the start,
    their backends' CPU seconds, their errors."""
    results: list[list[float]] = [[] for _ in buyers]
    server: list[float | None] = [0.0 for _ in buyers]
    started_cpu: list[float] = []
    errors: list[BaseException] = []

    def work(index: int, number: int) -> None:
        buyer = make_buyer(number)  # in its own thread: Django's connection is the thread's
        try:
            buyer.open()
            pid = buyer.backend_pid()
            start.wait()
            started_cpu.append(time.process_time())
            before = backend_cpu_seconds(pid)
            mine = results[index]
            for number in range(holds):
                if time.monotonic() >= deadline.value:
                    break
                begin = time.perf_counter()
                buyer.hold(number)
                mine.append((time.perf_counter() - begin) * 1000)
            after = backend_cpu_seconds(pid)
            server[index] = None if before is None or after is None else after - before
        except BaseException as exc:  # reported after the join: a failed hold is a broken bench
            errors.append(exc)
            start.abort()  # nobody waits for a buyer that will not come
        finally:
            buyer.close()

    run_threads(partial(work, index, number) for index, number in enumerate(buyers))
    client_cpu = time.process_time() - min(started_cpu, default=time.process_time())
    measured = [value for value in server if value is not None]
    server_cpu = sum(measured) if len(measured) == len(server) else None
    return results, client_cpu, server_cpu, errors


def measure(make_buyer: Callable[[int], Buyer], buyers: int, *, mode: str, processes: int, holds: int,
            max_seconds: float) -> Phase:  # fmt: skip
    """One round of `buyers` buyers holding their own items, connected before the start: threads of this
    process, or spread over `processes` forked processes (threads within)."""
    from django.db import connections

    answers: queue.Queue[Any] | multiprocessing.queues.Queue[Any]
    if mode == "threads":
        groups = [list(range(buyers))]
        start, deadline, answers = threading.Barrier(buyers + 1, timeout=120), multiprocessing.Value("d"), queue.Queue()
        spawn: Callable = threading.Thread
    else:
        context = multiprocessing.get_context("fork")
        groups = [list(range(buyers))[index::processes] for index in range(min(processes, buyers))]
        start, deadline, answers = context.Barrier(buyers + 1, timeout=120), context.Value("d"), context.Queue()
        spawn = context.Process
        connections.close_all()  # a forked child must open its own connection, never share this one's

    def run_group(group: list[int]) -> None:
        try:
            mine, cpu, server, failed = run_buyers(make_buyer, group, holds, start, deadline)
            answers.put((mine, cpu, server, [repr(exc) for exc in failed]))
        except BaseException as exc:  # reported below: a failed hold is a broken bench
            answers.put(([], 0.0, None, [repr(exc)]))

    runners = [spawn(target=run_group, args=(group,)) for group in groups]
    for runner in runners:
        runner.start()
    deadline.value = time.monotonic() + max_seconds
    try:
        start.wait()
    except threading.BrokenBarrierError:
        pass  # a buyer failed to connect: reported below
    started = time.perf_counter()
    collected = [answers.get(timeout=max_seconds + 180) for _ in runners]
    for runner in runners:
        runner.join()
    elapsed = time.perf_counter() - started
    errors = [error for _, _, _, failed in collected for error in failed]
    if errors:
        raise SystemExit(f"a hold failed: {errors[0]}")
    latencies = [value for mine, _, _, _ in collected for latencies in mine for value in latencies]
    servers = [server for _, _, server, _ in collected]
    return Phase(
        holds=len(latencies),
        seconds=elapsed,
        latencies=latencies,
        client_cpu=sum(cpu for _, cpu, _, _ in collected),
        server_cpu=None if any(server is None for server in servers) else sum(servers),
    )
