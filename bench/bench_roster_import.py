"""Benchmark `lms roster import` (the real command, as a child process) against a plain `COPY` of the same CSV.

    python bench/bench_roster_import.py --rows 300000 [--also 30000] [--database-url URL] [--keep]

Each size gets a fresh database (migrated, demo data loaded), then: the import, a re-import of the same file
(must change nothing), and `COPY` of the file into a plain 6-column text table. Peak RSS is the `lms` child's
own, so the two sizes show whether memory grows with the file. CPU seconds (the `lms` child's, and its database
backends' sampled from /proc) say what each run cost when the machine is too busy for wall times to.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.datagen import write_csv  # noqa: E402
from bench.harness import (  # noqa: E402
    DEFAULT_URL,
    Run,
    fresh_database,
    instance_dir,
    lms_env,
    print_statements,
    print_table,
    rate,
    run_lms,
    startup_run,
)

COPY_TABLE = "roster_copy"
#: The goal for the whole command (start-up included) against a bare COPY of the same file.
TARGET_RATIO = 20


@dataclass
class SizeResult:
    rows: int
    startup: Run
    first: Run
    again: Run
    copy_seconds: float


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=300_000, help="rows in the main CSV (default 300000)")
    parser.add_argument("--also", type=int, default=30_000, help="a second, smaller size (0: none; default 30000)")
    parser.add_argument("--database-url", default=DEFAULT_URL, help=f"server to create databases on ({DEFAULT_URL})")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark databases")
    parser.add_argument("--timeout", type=float, default=900, help="give up on one lms command after this (s)")
    return parser.parse_args()


def staging_seconds(run: Run) -> float | None:
    """When the last "N rows read" progress line came: the end of phase 1 (read, check and stage each row)."""
    times = [t for t, line in run.stderr if line.strip().endswith("rows read")]
    return times[-1] if times else None


def expect_summary(run: Run, rows: int, *, new: int, unchanged: int) -> None:
    pattern = (rf"DEMO: {rows} rows imported — {new} new, 0 updated, {unchanged} unchanged; "
               rf"{new} accounts and {new} enrollments created")
    if not re.search(pattern, run.stdout):
        raise SystemExit(f"unexpected import summary (wanted /{pattern}/):\n{run.stdout}")


def demo_counts(url: str) -> tuple[int, int, int]:
    """DEMO roster entries, DEMO enrollments, staging rows."""
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT (SELECT count(*) FROM roster_entries r JOIN cohorts c ON c.id = r.cohort_id WHERE c.code = 'DEMO'),"
            " (SELECT count(*) FROM enrollments e JOIN cohorts c ON c.id = e.cohort_id WHERE c.code = 'DEMO'),"
            " (SELECT count(*) FROM roster_import_rows)"
        ).fetchone()


def expect_counts(url: str, before: tuple[int, int, int], rows: int) -> None:
    """`lms demo` puts its own participants in DEMO; the import adds exactly `rows` entries and enrollments."""
    after = demo_counts(url)
    expected = (before[0] + rows, before[1] + rows, 0)
    if after != expected:
        raise SystemExit(f"after import: {after[0]} roster entries, {after[1]} enrollments, {after[2]} staging rows;"
                         f" expected {expected[0]}, {expected[1]}, 0")


def time_copy(url: str, csv_path: Path, rows: int) -> float:
    """`COPY` of the same file into an empty plain (logged) table of 6 text columns, committed."""
    with psycopg.connect(url) as conn:
        conn.execute(f"CREATE TABLE {COPY_TABLE} (nik text, nama text, email text, npsn text, "
                     "satuan_pendidikan text, kode_kabkota text)")
        conn.commit()
        start = time.perf_counter()
        sql = f"COPY {COPY_TABLE} FROM STDIN WITH (FORMAT csv, HEADER true)"
        with conn.cursor() as cur, open(csv_path, "rb") as f, cur.copy(sql) as copy:
            while chunk := f.read(1 << 20):
                copy.write(chunk)
        conn.commit()
        seconds = time.perf_counter() - start
        copied = conn.execute(f"SELECT count(*) FROM {COPY_TABLE}").fetchone()[0]
    if copied != rows:
        raise SystemExit(f"COPY loaded {copied} rows, expected {rows}")
    return seconds


def bench_size(rows: int, args: argparse.Namespace, work: Path) -> SizeResult:
    csv_path = work / f"roster_{rows}.csv"
    start = time.perf_counter()
    write_csv(csv_path, rows)
    print(f"\n== {rows} rows: CSV written in {time.perf_counter() - start:.1f} s "
          f"({csv_path.stat().st_size / 2**20:.1f} MiB)")
    with fresh_database(args.database_url, keep=args.keep) as db, instance_dir() as instance:
        env = lms_env(db, instance)
        for setup in (["db", "upgrade"], ["demo"]):
            run = run_lms(setup, env, timeout=args.timeout).check()
            print(f"  lms {' '.join(setup)}: {run.seconds:.1f} s")
        startup = startup_run(env)
        command = ["roster", "import", str(csv_path), "--cohort", "DEMO"]
        before = demo_counts(db.url)
        first = run_lms(command, env, timeout=args.timeout, sample_db=db.url).check()
        report_run("import", first)
        expect_summary(first, rows, new=rows, unchanged=0)
        expect_counts(db.url, before, rows)
        again = run_lms(command, env, timeout=args.timeout, sample_db=db.url).check()
        report_run("re-import", again)
        expect_summary(again, rows, new=0, unchanged=rows)
        expect_counts(db.url, before, rows)
        copy_seconds = time_copy(db.url, csv_path, rows)
        print(f"  COPY baseline: {copy_seconds:.2f} s; import {first.seconds / copy_seconds:.1f}× COPY, "
              f"re-import {again.seconds / copy_seconds:.1f}× COPY (target ≤ {TARGET_RATIO}×)")
    return SizeResult(rows, startup, first, again, copy_seconds)


def report_run(label: str, run: Run) -> None:
    staged = staging_seconds(run)
    phases = f"staging done at {staged:.1f} s, then {run.seconds - staged:.1f} s of checks and apply" if staged else ""
    print(f"  {label}: {run.seconds:.1f} s, peak RSS {run.peak_rss_mb:.0f} MB; {phases}")
    print(f"    CPU: lms {run.cpu_seconds:.1f} s, its database backends ≥ {run.server_cpu_seconds or 0:.1f} s")
    print(f"    {run.stdout.strip()}")
    print_statements(run)


def summarize(results: list[SizeResult]) -> None:
    header = ("run", "rows", "seconds", "s − start-up", "rows/s", "peak RSS MB", "× COPY", "CPU lms / server s")
    table = []
    for r in results:
        for label, run in (("lms roster import", r.first), ("lms roster import (again)", r.again)):
            table.append((label, f"{r.rows:,}", f"{run.seconds:.1f}", f"{run.seconds - r.startup.seconds:.1f}",
                          rate(r.rows, run.seconds), f"{run.peak_rss_mb:.0f}", f"{run.seconds / r.copy_seconds:.1f}×",
                          f"{run.cpu_seconds:.1f} / {run.server_cpu_seconds or 0:.1f}"))
        table.append(("COPY (plain table)", f"{r.rows:,}", f"{r.copy_seconds:.2f}", "",
                      rate(r.rows, r.copy_seconds), "-", "1×", ""))
    print()
    print_table(header, table)
    startup = results[0].startup
    print(f"`lms --help` (interpreter + app start-up, in every lms time; best of 3): {startup.seconds:.1f} s "
          f"({startup.cpu_seconds:.1f} s of CPU), peak RSS {startup.peak_rss_mb:.0f} MB")
    if len(results) > 1:
        big, small = max(results, key=lambda r: r.rows), min(results, key=lambda r: r.rows)
        print(f"Peak RSS at {big.rows:,} rows / at {small.rows:,} rows: "
              f"{big.first.peak_rss_mb / small.first.peak_rss_mb:.2f} (rows ×{big.rows / small.rows:.0f})")


def main() -> None:
    args = parse_args()
    sizes = [args.rows] + ([args.also] if args.also else [])
    with tempfile.TemporaryDirectory(prefix="lms-bench-csv-") as work:
        results = [bench_size(rows, args, Path(work)) for rows in sizes]
    summarize(results)


if __name__ == "__main__":
    main()
