"""Benchmark participant selection at national scale: `lms selection check` and `lms selection run` (the real
commands, as child processes) on a synthetic pgt2024 candidate pool.

    python bench/bench_selection.py --candidates 1600000 [--total 300000] [--also 160000]
                                    [--database-url URL] [--keep] [--timeout S] [--work-dir DIR]

For each size (--also first, then --candidates; each with its own pool file and fresh, migrated database):

1. the pool is written with `bench.pool_datagen.write_pool` (streamed; timed, file size reported);
2. `lms selection check POOL --policy pgt2024`, its stdout sent to a file that is then read line by line: one
   line per candidate, the eligible ones counted per province;
3. `lms selection run --policy pgt2024 --pool POOL --total T --out OUT.csv`; the CSV is read line by line and
   checked: one row per candidate (the same NIKs as the check saw), `ditetapkan` = min(T, eligible), every
   province with eligible candidates has a `ditetapkan`, eligible/ineligible per province as the check said,
   ranks 1..k per province with every `ditetapkan` before every `cadangan`, older candidates first (the birth
   date is in the NIK), province quotas one each plus a share of the rest proportional to the eligible counts
   (largest remainder: floor or ceiling of the exact share).

Both commands are timed around the child (wall time, start-up included) with the child's own peak RSS from
`os.wait4()`. While they run, a thread samples every 0.2 s the child's RSS (/proc/PID/status) and, for the run,
`pg_stat_activity` of the bench database and whether the output CSV exists yet: that gives the phases of the run
(staging, set-based SQL, writing the CSV), the statements running ≥ 0.5 s, and in which phase memory grows.
The smaller size uses a total scaled by the same factor (T × small / large), so both runs have the same shape.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (  # noqa: E402
    DEFAULT_URL,
    LMS,
    REPO,
    Run,
    _collect,
    _one_line,
    fresh_database,
    instance_dir,
    lms_env,
    print_statements,
    print_table,
    rate,
    run_lms,
    startup_run,
)
from bench.pool_datagen import write_pool  # noqa: E402

POLICY = "pgt2024"
PROVINCES = 38
#: A statement's "kind" for the phase table: its first characters, whitespace collapsed.
KIND_WIDTH = 60
#: Left out of the statement kinds printed (a connection shows its last statement while idle).
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", ";")


# --- a child with a monitor ---------------------------------------------------------------------------------------


class Monitor:
    """Samples, every ``interval`` s: the child's RSS; and, given a database, every statement of that database
    (first and last time seen per statement kind, in any state, plus how long the active ones ran, like
    ``harness.StatementSampler``); and, given a path, when that file first exists."""

    def __init__(self, pid: int, start: float, *, db_url: str | None = None, watch: Path | None = None,
                 interval: float = 0.2) -> None:
        self.pid, self.start, self.db_url, self.watch, self.interval = pid, start, db_url, watch, interval
        self.rss: list[tuple[float, float]] = []
        self.kinds: dict[str, list[float]] = {}
        self.active: dict[tuple[int, object], tuple[float, float, str]] = {}
        self.file_seen: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def begin(self) -> None:
        self._thread.start()

    def end(self) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        conn = psycopg.connect(self.db_url, autocommit=True) if self.db_url else None
        query = ("SELECT pid, state, query_start, extract(epoch FROM clock_timestamp() - query_start), query "
                 "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
                 "AND backend_type = 'client backend'")
        try:
            while not self._stop.wait(self.interval):
                now = time.perf_counter() - self.start
                mb = _rss_mb(self.pid)
                if mb is not None:
                    self.rss.append((now, mb))
                if self.watch is not None and self.file_seen is None and self.watch.exists():
                    self.file_seen = now
                if conn is None:
                    continue
                for pid, state, started, running, text in conn.execute(query):
                    if not text:
                        continue
                    kind = _one_line(text, KIND_WIDTH)
                    seen = self.kinds.setdefault(kind, [now, now])
                    seen[1] = now
                    if state == "active" and running is not None:
                        running = float(running)
                        self.active[(pid, started)] = (now - running, running, _one_line(text))
        finally:
            if conn is not None:
                conn.close()


def _rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None


@dataclass
class Timed:
    run: Run
    monitor: Monitor
    stdout_path: Path


def run_monitored(args: list[str], env: dict[str, str], stdout_path: Path, *, timeout: float,
                  db_url: str | None = None, watch: Path | None = None) -> Timed:
    """`lms ARGS` like `harness.run_lms`, but stdout goes to ``stdout_path`` (not read into memory) and a
    ``Monitor`` samples the child while it runs."""
    lines: list[tuple[float, str]] = []
    timed_out = threading.Event()
    with open(stdout_path, "w", encoding="utf-8") as out:
        start = time.perf_counter()
        child = subprocess.Popen([str(LMS), *args], cwd=REPO, env=env, stdout=out, stderr=subprocess.PIPE,
                                 text=True, encoding="utf-8", errors="replace")
        reader = threading.Thread(target=_collect, args=(child.stderr, lines, start), daemon=True)
        reader.start()
        monitor = Monitor(child.pid, start, db_url=db_url, watch=watch)
        monitor.begin()

        def kill() -> None:
            timed_out.set()
            child.send_signal(signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        timer.cancel()
        child.returncode = os.waitstatus_to_exitcode(status)
        monitor.end()
        reader.join()
        child.stderr.close()
    stdout = stdout_path.read_text(encoding="utf-8") if stdout_path.stat().st_size < 1 << 16 else "(large)"
    run = Run(args, seconds, usage.ru_maxrss / 1024, child.returncode, stdout, lines, timed_out.is_set(),
              sorted(monitor.active.values()))
    return Timed(run, monitor, stdout_path)


# --- reading the outputs, streamed --------------------------------------------------------------------------------


def _nik_digest(nik: str) -> int:
    return int.from_bytes(hashlib.blake2b(nik.encode(), digest_size=8).digest(), "big")


@dataclass
class CheckOutput:
    lines: int = 0
    eligible: int = 0
    #: province code (first 2 digits of the NIK) -> (candidates, eligible)
    provinces: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    unmet: Counter = field(default_factory=Counter)
    #: Sum (mod 2^64) of a 64-bit hash of every NIK: the same multiset of NIKs gives the same sum.
    nik_sum: int = 0


def read_check_output(path: Path) -> CheckOutput:
    result = CheckOutput()
    with open(path, encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            result.lines += 1
            nik = record["nik"]
            result.nik_sum = (result.nik_sum + _nik_digest(nik)) & 0xFFFFFFFFFFFFFFFF
            province = result.provinces[nik[:2]]
            province[0] += 1
            if record["eligible"]:
                result.eligible += 1
                province[1] += 1
            for unmet in record["unmet"]:
                result.unmet[unmet["rule"]] += 1
    return result


def _born(nik: str) -> tuple[int, int, int]:
    """(year, month, day) of birth from a NIK (the pool's candidates are born 1965–1995)."""
    return 1900 + int(nik[10:12]), int(nik[8:10]), int(nik[6:8]) % 40


@dataclass
class RunOutput:
    rows: int = 0
    status: Counter = field(default_factory=Counter)
    #: province -> Counter of status
    provinces: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    nik_sum: int = 0
    problems: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        if len(self.problems) < 20:
            self.problems.append(text)


def read_run_output(path: Path) -> RunOutput:
    """Streams the CSV, checking the order within each province as it goes (rows come by province and rank)."""
    result = RunOutput()
    last: dict[str, tuple[int, str, tuple[int, int, int]]] = {}
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(line for line in f if not line.startswith("#"))  # the placeholder warning
        if tuple(reader.fieldnames or ()) != ("rank", "nik", "nama", "kode_kabkota", "status", "alasan"):
            raise SystemExit(f"unexpected CSV header {reader.fieldnames}")
        for row in reader:
            result.rows += 1
            nik, status, province = row["nik"], row["status"], row["kode_kabkota"][:2]
            if len(nik) != 16 or not nik.isdigit() or nik[:4] != row["kode_kabkota"]:
                result.problem(f"row {result.rows}: NIK {nik!r} / kode_kabkota {row['kode_kabkota']}")
            result.nik_sum = (result.nik_sum + _nik_digest(nik)) & 0xFFFFFFFFFFFFFFFF
            result.status[status] += 1
            result.provinces[province][status] += 1
            if status == "tidak_memenuhi_syarat":
                if row["rank"] or not row["alasan"]:
                    result.problem(f"row {result.rows}: ineligible with rank {row['rank']!r}, alasan {row['alasan']!r}")
                continue
            if status not in ("ditetapkan", "cadangan"):
                result.problem(f"row {result.rows}: status {status!r}")
                continue
            rank, born = int(row["rank"]), _born(nik)
            previous = last.get(province)
            if previous is None:
                if rank != 1:
                    result.problem(f"row {result.rows}: first rank of province {province} is {rank}")
            else:
                p_rank, p_status, p_born = previous
                if rank != p_rank + 1:
                    result.problem(f"row {result.rows}: province {province} rank {rank} after {p_rank}")
                if p_status == "cadangan" and status == "ditetapkan":
                    result.problem(f"row {result.rows}: province {province} ditetapkan at rank {rank} after cadangan")
                if born < p_born:
                    result.problem(f"row {result.rows}: province {province} rank {rank} born {born} after {p_born}")
            last[province] = (rank, status, born)
    return result


def verify(check: CheckOutput, out: RunOutput, candidates: int, total: int) -> list[str]:
    """Everything wrong with the run's CSV, given the check's output (empty: all good)."""
    problems = list(out.problems)
    if check.lines != candidates:
        problems.append(f"check printed {check.lines} lines for {candidates} candidates")
    if out.rows != candidates:
        problems.append(f"CSV has {out.rows} rows for {candidates} candidates")
    if out.nik_sum != check.nik_sum:
        problems.append("the CSV's NIKs are not the pool's NIKs (hash sums differ)")
    want = min(total, check.eligible)
    if out.status["ditetapkan"] != want:
        problems.append(f"ditetapkan = {out.status['ditetapkan']}, expected min({total}, {check.eligible}) = {want}")
    if out.status["tidak_memenuhi_syarat"] != check.lines - check.eligible:
        problems.append(f"tidak_memenuhi_syarat = {out.status['tidak_memenuhi_syarat']}, "
                        f"check found {check.lines - check.eligible} ineligible")
    if len(check.provinces) != PROVINCES:
        problems.append(f"the pool has candidates in {len(check.provinces)} provinces, not {PROVINCES}")
    eligible_total = check.eligible
    groups = sum(1 for _, eligible in check.provinces.values() if eligible)
    for province, (_, eligible) in sorted(check.provinces.items()):
        got = out.provinces.get(province, Counter())
        if got["ditetapkan"] + got["cadangan"] != eligible:
            problems.append(f"province {province}: {got['ditetapkan']} + {got['cadangan']} ranked, "
                            f"check found {eligible} eligible")
        if eligible and not got["ditetapkan"]:
            problems.append(f"province {province}: {eligible} eligible, none ditetapkan")
        if eligible and groups <= want < eligible_total and got["ditetapkan"] < eligible:
            # One seat each, the rest by largest remainder in proportion to the eligible: floor or ceiling of this.
            share = 1 + (want - groups) * eligible / eligible_total
            if abs(got["ditetapkan"] - share) >= 1:
                problems.append(f"province {province}: quota {got['ditetapkan']}, expected 1 + proportional share "
                                f"of the rest = {share:.2f}")
    return problems


# --- one size -----------------------------------------------------------------------------------------------------


@dataclass
class SizeResult:
    candidates: int
    total: int
    generation_seconds: float
    pool_bytes: int
    startup: Run
    check: Timed
    run: Timed
    check_output: CheckOutput
    run_output: RunOutput
    out_bytes: int
    phases: list[tuple[str, float, float]]
    problems: list[str]


def run_phases(timed: Timed) -> list[tuple[str, float, float]]:
    """(phase, start, end) of `lms selection run` from the samples: up to the first staging INSERT (start-up,
    hashing the pool, the first batch), staging (read, check, encrypt, INSERT every candidate), set-based SQL
    (duplicates, allocation, ranking, counts) up to the CSV's creation, then writing the CSV until the exit."""
    m, end = timed.monitor, timed.run.seconds
    inserts = [span for kind, span in m.kinds.items() if kind.startswith("INSERT INTO selection_entries")]
    if not inserts:
        return []
    first, last = min(s[0] for s in inserts), max(s[1] for s in inserts)
    csv_at = m.file_seen if m.file_seen is not None else end
    return [("start-up, pool hash, first batch", 0.0, first), ("staging (check + INSERT batches)", first, last),
            ("set-based SQL (duplicates, quotas, ranks)", last, csv_at), ("writing the CSV", csv_at, end)]


def peak_in(monitor: Monitor, start: float, end: float) -> float | None:
    values = [mb for t, mb in monitor.rss if start <= t <= end]
    return max(values) if values else None


def bench_size(candidates: int, total: int, args: argparse.Namespace, work: Path) -> SizeResult:
    pool = work / f"pool_{candidates}.jsonl"
    print(f"\n== {candidates:,} candidates, --total {total:,}", flush=True)
    start = time.perf_counter()
    write_pool(pool, candidates)
    generation = time.perf_counter() - start
    pool_bytes = pool.stat().st_size
    print(f"  pool written in {generation:.1f} s ({rate(candidates, generation)} candidates/s), "
          f"{pool_bytes / 2**20:,.0f} MiB", flush=True)
    try:
        with fresh_database(args.database_url, keep=args.keep) as db, instance_dir() as instance:
            env = lms_env(db, instance)
            upgrade = run_lms(["db", "upgrade"], env, timeout=args.timeout).check()
            print(f"  lms db upgrade: {upgrade.seconds:.1f} s", flush=True)
            startup = startup_run(env)
            print(f"  lms --help (start-up, best of 3): {startup.seconds:.1f} s, {startup.peak_rss_mb:.0f} MB",
                  flush=True)

            check = run_monitored(["selection", "check", str(pool), "--policy", POLICY], env,
                                  work / f"check_{candidates}.jsonl", timeout=args.timeout)
            check.run.check()
            check_output = read_check_output(check.stdout_path)
            print(f"  check: {check.run.seconds:.1f} s, {rate(candidates, check.run.seconds)} candidates/s, "
                  f"peak RSS {check.run.peak_rss_mb:.0f} MB; {check_output.lines:,} lines, "
                  f"{check_output.eligible:,} eligible; unmet {dict(check_output.unmet)}", flush=True)
            print_rss(check.monitor, check.run.seconds)
            if check.run.stderr:
                print(f"  check stderr ({len(check.run.stderr)} lines): {check.run.stderr[0][1][:200]}")

            out = work / f"selection_{candidates}.csv"
            run = run_monitored(["selection", "run", "--policy", POLICY, "--pool", str(pool), "--total", str(total),
                                 "--out", str(out)], env, work / f"run_{candidates}.txt", timeout=args.timeout,
                                db_url=db.url, watch=out)
            run.run.check()
            print(f"  run: {run.run.seconds:.1f} s, {rate(candidates, run.run.seconds)} candidates/s, "
                  f"peak RSS {run.run.peak_rss_mb:.0f} MB", flush=True)
            print(f"    {run.run.stdout.strip()}")
            phases = run_phases(run)
            for name, begin, end in phases:
                peak = peak_in(run.monitor, begin, end)
                print(f"    {name:<42} {begin:7.1f} → {end:7.1f} s  ({end - begin:6.1f} s)  "
                      f"sampled RSS ≤ {peak or 0:.0f} MB")
            print_rss(run.monitor, run.run.seconds)
            print_kinds(run.monitor)
            print_statements(run.run)
            print("  selection_entries on disk: " + table_sizes(db.url))

            run_output = read_run_output(out)
            out_bytes = out.stat().st_size
            problems = verify(check_output, run_output, candidates, total)
            print(f"  CSV: {run_output.rows:,} rows, {out_bytes / 2**20:,.0f} MiB, {dict(run_output.status)}")
            print("  verification: " + ("all good" if not problems else "PROBLEMS:\n    " + "\n    ".join(problems)),
                  flush=True)
    finally:
        for path in (pool, work / f"check_{candidates}.jsonl", work / f"selection_{candidates}.csv"):
            if not args.work_dir:
                path.unlink(missing_ok=True)
    return SizeResult(candidates, total, generation, pool_bytes, startup, check, run, check_output, run_output,
                      out_bytes, phases, problems)


def table_sizes(url: str) -> str:
    """Total, heap, indexes and TOAST of selection_entries, and its live and dead rows (the statistics may lag)."""
    with psycopg.connect(url) as conn:
        total, heap, indexes, toast = conn.execute(
            "SELECT pg_total_relation_size(c.oid), pg_relation_size(c.oid), pg_indexes_size(c.oid), "
            "coalesce(pg_total_relation_size(nullif(c.reltoastrelid, 0)), 0) FROM pg_class c "
            "WHERE c.oid = 'selection_entries'::regclass").fetchone()
        live, dead = conn.execute("SELECT n_live_tup, n_dead_tup FROM pg_stat_user_tables "
                                  "WHERE relname = 'selection_entries'").fetchone()
    mib = 2**20
    return (f"{total / mib:,.0f} MiB (heap {heap / mib:,.0f}, indexes {indexes / mib:,.0f}, TOAST {toast / mib:,.0f}); "
            f"{live:,} live and {dead:,} dead rows")


def print_rss(monitor: Monitor, seconds: float) -> None:
    """The sampled RSS at a few points of the run: flat, or growing, and when."""
    if not monitor.rss:
        return
    points = []
    for fraction in (0.1, 0.25, 0.5, 0.75, 0.9):
        at = seconds * fraction
        near = min(monitor.rss, key=lambda sample: abs(sample[0] - at))
        points.append(f"{near[0]:.0f} s: {near[1]:.0f}")
    print(f"    sampled RSS MB ({len(monitor.rss)} samples) — " + ", ".join(points))


def print_kinds(monitor: Monitor, *, at_least: float = 1.0) -> None:
    """Statement kinds seen over at least ``at_least`` s (first seen → last seen, in any state)."""
    spans = sorted((seen[0], seen[1], kind) for kind, seen in monitor.kinds.items()
                   if seen[1] - seen[0] >= at_least and kind not in TRANSACTION_CONTROL)
    if spans:
        print(f"    statement kinds seen over ≥ {at_least:.0f} s (pg_stat_activity, any state; first → last seen):")
    for first, last, kind in spans:
        print(f"      {first:7.1f} → {last:7.1f} s  {kind}")


# --- summary ------------------------------------------------------------------------------------------------------


def summarize(results: list[SizeResult]) -> None:
    header = ("step", "candidates", "seconds", "s − start-up", "candidates/s", "peak RSS MB")
    table = []
    for r in sorted(results, key=lambda r: r.candidates):
        table.append(("generate pool (in-process)", f"{r.candidates:,}", f"{r.generation_seconds:.1f}", "",
                      rate(r.candidates, r.generation_seconds), "-"))
        for label, timed in (("lms selection check", r.check), (f"lms selection run --total {r.total}", r.run)):
            run = timed.run
            table.append((label, f"{r.candidates:,}", f"{run.seconds:.1f}", f"{run.seconds - r.startup.seconds:.1f}",
                          rate(r.candidates, run.seconds), f"{run.peak_rss_mb:.0f}"))
    print()
    print_table(header, table)
    for r in results:
        print(f"{r.candidates:,}: pool {r.pool_bytes / 2**20:,.0f} MiB, CSV {r.out_bytes / 2**20:,.0f} MiB, "
              f"start-up {r.startup.seconds:.1f} s / {r.startup.peak_rss_mb:.0f} MB, eligible "
              f"{r.check_output.eligible:,}, ditetapkan {r.run_output.status['ditetapkan']:,}, "
              f"verification {'good' if not r.problems else 'FAILED'}")
    if len(results) > 1:
        big, small = max(results, key=lambda r: r.candidates), min(results, key=lambda r: r.candidates)
        factor = big.candidates / small.candidates
        for label, attr in (("check", "check"), ("run", "run")):
            b, s = getattr(big, attr).run.peak_rss_mb, getattr(small, attr).run.peak_rss_mb
            print(f"peak RSS of {label}: {b:.0f} MB at {big.candidates:,}, {s:.0f} MB at {small.candidates:,} "
                  f"(×{b / s:.2f} for ×{factor:.0f} candidates; {round(b - s):+d} MB)")
        for (name, b0, b1), (_, s0, s1) in zip(big.phases, small.phases, strict=False):
            pb, ps = peak_in(big.run.monitor, b0, b1), peak_in(small.run.monitor, s0, s1)
            if pb and ps:
                print(f"  run, {name}: sampled peak {pb:.0f} MB vs {ps:.0f} MB; {b1 - b0:.1f} s vs {s1 - s0:.1f} s")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidates", type=int, default=1_600_000, help="candidates in the pool (default 1600000)")
    parser.add_argument("--total", type=int, default=300_000, help="national quota --total (default 300000)")
    parser.add_argument("--also", type=int, default=None,
                        help="a second, smaller size with a proportionally smaller total (default: candidates / 10; "
                             "0: none)")
    parser.add_argument("--database-url", default=DEFAULT_URL, help=f"server to create databases on ({DEFAULT_URL})")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark databases")
    parser.add_argument("--timeout", type=float, default=1800, help="give up on one lms command after this (s)")
    parser.add_argument("--work-dir", type=Path, help="keep the pool, check output and CSV here (default: a "
                        "temporary directory, removed)")
    args = parser.parse_args()
    if args.also is None:
        args.also = args.candidates // 10
    return args


def main() -> None:
    args = parse_args()
    sizes = [(args.also, max(1, round(args.total * args.also / args.candidates)))] if args.also else []
    sizes.append((args.candidates, args.total))
    if args.work_dir:
        args.work_dir.mkdir(parents=True, exist_ok=True)
        results = [bench_size(n, t, args, args.work_dir) for n, t in sizes]
    else:
        with tempfile.TemporaryDirectory(prefix="lms-bench-pool-") as work:
            results = [bench_size(n, t, args, Path(work)) for n, t in sizes]
    summarize(results)
    if any(r.problems for r in results):
        raise SystemExit("verification failed")


if __name__ == "__main__":
    main()
