"""Shared plumbing for the benchmarks: a throw-away PostgreSQL database, the real `lms` command run as a child
process (wall time and that child's own peak RSS), and a sampler that shows which SQL statement was running."""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from sqlalchemy import event
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parent.parent
LMS = Path(sys.executable).parent / "lms"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def libpq_url(sqlalchemy_url: str, database: str | None = None) -> str:
    """The same server as a plain libpq URL (what psycopg takes), optionally for another database."""
    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    if database:
        url = url.set(database=database)
    return url.render_as_string(hide_password=False)


@dataclass
class BenchDatabase:
    """A fresh database on the server of ``admin_url``: its SQLAlchemy URL for the app, its libpq URL for us."""

    name: str
    app_url: str
    url: str


@contextmanager
def fresh_database(admin_url: str, *, keep: bool = False, prefix: str = "lms_bench") -> Iterator[BenchDatabase]:
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    admin = libpq_url(admin_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    app_url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield BenchDatabase(name, app_url, libpq_url(admin_url, name))
    finally:
        if keep:
            print(f"kept database {name}: {app_url}")
        else:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def instance_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="lms-bench-") as path:
        yield Path(path)


def lms_env(db: BenchDatabase, instance: Path) -> dict[str, str]:
    """The parent's environment without any LMS_* setting of its own, plus the bench database and instance."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LMS_")}
    env.update(LMS_DATABASE_URL=db.app_url, LMS_INSTANCE_PATH=str(instance),
               LMS_SECRET_KEY=f"bench-{secrets.token_hex(16)}", LMS_ENV="development")
    return env


@dataclass
class Run:
    """One finished `lms` child: its wall time, its own peak RSS, its output."""

    args: list[str]
    seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    #: (seconds since start, line) for every stderr line, so progress lines time the phases.
    stderr: list[tuple[float, str]] = field(default_factory=list)
    timed_out: bool = False
    statements: list[tuple[float, float, str]] = field(default_factory=list)
    #: the child's own CPU (user + system, from wait4), and its database backends' (sampled, see StatementSampler)
    cpu_seconds: float = 0.0
    server_cpu_seconds: float | None = None

    def check(self) -> Run:
        if self.timed_out or self.returncode != 0:
            tail = "\n".join(line for _, line in self.stderr[-20:])
            why = "timed out" if self.timed_out else f"exit {self.returncode}"
            raise SystemExit(f"lms {' '.join(self.args)}: {why} after {self.seconds:.1f} s\n{self.stdout}\n{tail}")
        return self


def run_lms(args: list[str], env: dict[str, str], *, timeout: float = 900.0, sample_db: str | None = None) -> Run:
    """Run `lms ARGS` from the repository root and wait for it with wait4(), which gives this child's own rusage
    (ru_maxrss of RUSAGE_CHILDREN is a maximum over every child ever reaped, so it cannot isolate one run)."""
    sampler = StatementSampler(sample_db) if sample_db else None
    lines: list[tuple[float, str]] = []
    timed_out = threading.Event()
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out:
        start = time.perf_counter()
        child = subprocess.Popen([str(LMS), *args], cwd=REPO, env=env, stdout=out, stderr=subprocess.PIPE,
                                 text=True, encoding="utf-8", errors="replace")
        reader = threading.Thread(target=_collect, args=(child.stderr, lines, start), daemon=True)
        reader.start()
        if sampler:
            sampler.start()

        def kill() -> None:
            timed_out.set()
            child.send_signal(signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        timer.cancel()
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so Popen must not wait again
        reader.join()
        child.stderr.close()
        statements = sampler.stop() if sampler else []
        out.seek(0)
        stdout = out.read()
    return Run(args, seconds, usage.ru_maxrss / 1024, child.returncode, stdout, lines, timed_out.is_set(),
               statements, usage.ru_utime + usage.ru_stime, sampler.server_cpu() if sampler else None)


def startup_run(env: dict[str, str], *, repeats: int = 3) -> Run:
    """The fastest of a few `lms --help` runs: interpreter and app start-up, part of every command's time."""
    return min((run_lms(["--help"], env).check() for _ in range(repeats)), key=lambda run: run.seconds)


def _collect(stream, lines: list[tuple[float, str]], start: float) -> None:
    for line in stream:
        lines.append((time.perf_counter() - start, line.rstrip("\n")))


class StatementSampler:
    """Polls pg_stat_activity of one database: every active statement seen, with how long it had been running
    when last seen (a lower bound, within the polling interval). Enough to say which statement is slow.

    Also the CPU of every backend of the database that started after the sampler (the command's connections),
    read from /proc (server on this machine) at each poll: a lower bound, missing at most the last interval of
    each backend; CPU, unlike wall time, hardly depends on what else the machine runs."""

    def __init__(self, url: str, interval: float = 0.2) -> None:
        self.url, self.interval = url, interval
        self._seen: dict[tuple[int, object], tuple[float, float, str]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._t0 = time.perf_counter()
        self._cpu: dict[int, float] = {}
        self._before: set[int] = set()

    def server_cpu(self) -> float:
        return sum(self._cpu.values())

    def start(self) -> None:
        self._t0 = time.perf_counter()
        self._thread.start()

    def stop(self) -> list[tuple[float, float, str]]:
        """(started at, seconds running, statement) per statement, in order."""
        self._stop.set()
        self._thread.join()
        return sorted(self._seen.values())

    def _poll(self) -> None:
        query = ("SELECT pid, query_start, extract(epoch FROM clock_timestamp() - query_start), query "
                 "FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' "
                 "AND pid <> pg_backend_pid()")
        backends = ("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND backend_type = 'client backend' AND pid <> pg_backend_pid()")
        with psycopg.connect(self.url, autocommit=True) as conn:
            self._before = {pid for (pid,) in conn.execute(backends)}
            while not self._stop.wait(self.interval):
                elapsed = time.perf_counter() - self._t0
                for pid, started, running, text in conn.execute(query):
                    running = float(running)
                    self._seen[(pid, started)] = (elapsed - running, running, _one_line(text))
                for (pid,) in conn.execute(backends):
                    if pid not in self._before and (cpu := _process_cpu(pid)) is not None:
                        self._cpu[pid] = max(cpu, self._cpu.get(pid, 0.0))


def _process_cpu(pid: int) -> float | None:
    """User + system CPU seconds of a process of this machine, None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _one_line(sql: str, width: int = 110) -> str:
    text = re.sub(r"\s+", " ", sql).strip()
    return text if len(text) <= width else text[: width - 1] + "…"


def print_statements(run: Run, *, at_least: float = 0.5) -> None:
    slow = [(t, s, q) for t, s, q in run.statements if s >= at_least]
    if not slow:
        return
    print(f"  SQL statements running ≥ {at_least:.1f} s (sampled from pg_stat_activity; start, duration ≥):")
    for started, seconds, text in slow:
        print(f"    {started:7.1f} s  {seconds:6.1f} s  {text}")


def print_table(header: tuple[str, ...], rows: list[tuple]) -> None:
    cells = [header, *[tuple(str(c) for c in row) for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    print(line)
    for n, row in enumerate(cells):
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))))
        if n == 0:
            print(line)
    print(line)


def rate(rows: int, seconds: float) -> str:
    return f"{rows / seconds:,.0f}" if seconds > 0 else "-"


@contextmanager
def counting_statements(engine) -> Iterator[dict[str, int]]:
    """``counter["n"]``: the SQL statements ``engine`` sends while the block runs (the caller resets it at will)."""
    counter = {"n": 0}

    def on_statement(*_args) -> None:
        counter["n"] += 1

    event.listen(engine, "before_cursor_execute", on_statement)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", on_statement)
