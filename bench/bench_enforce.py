"""Benchmark `lms windows enforce` (the real command, as a child process) against one plain SQL `UPDATE`.

    python bench/bench_enforce.py --enrollments 300000 [--database-url URL] [--keep]

A fresh database (migrated, demo data loaded) gets N synthetic participants in the DEMO cohort, made in SQL with
generate_series: all 'aktif', every second one with `completed_at`, every 1000th with a personal extension past
the enforcement instant. The command runs as of one day after the DEMO window closes, then once more (it must
change nothing); then the statuses are reset and the single set-based UPDATE that does the same is timed.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (  # noqa: E402
    DEFAULT_URL,
    BenchDatabase,
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

STATUSES = ("menunggu", "aktif", "tuntas", "tidak_tuntas")
EXTENDED_EVERY = 1000

GENERATE_USERS = """
INSERT INTO users (email, name, created_at, active)
SELECT format('bench.%%s@guru.sd.belajar.id', lpad(g::text, 7, '0')), 'Peserta ' || g, %(now)s, true
FROM generate_series(1, %(n)s) AS g
"""
GENERATE_ENROLLMENTS = """
INSERT INTO enrollments (user_id, cohort_id, programme_year, status, kode_kabkota, extended_until, completed_at,
                         created_at)
SELECT u.id, c.id, c.programme_year, 'aktif', '3171',
       CASE WHEN g %% %(every)s = 0 THEN c.learning_closes_at + interval '14 days' END,
       CASE WHEN g %% 2 = 0 THEN c.learning_opens_at + interval '1 day' END,
       %(now)s
FROM users u
CROSS JOIN LATERAL (SELECT substring(u.email FROM '^bench\\.(\\d+)@')::int AS g) AS n
JOIN cohorts c ON c.code = 'DEMO'
WHERE u.email LIKE 'bench.%%'
"""
# What the enforcement pass must do to this cohort, written out once more as the plain statement it amounts to.
PLAIN_UPDATE = """
UPDATE enrollments SET status = CASE WHEN completed_at IS NOT NULL THEN 'tuntas' ELSE 'tidak_tuntas' END
WHERE cohort_id = %(cohort)s AND status IN ('menunggu', 'aktif')
  AND (extended_until IS NULL OR extended_until <= %(now)s)
"""
EXPECTED = """
SELECT CASE WHEN status IN ('menunggu', 'aktif') AND (extended_until IS NULL OR extended_until <= %(now)s)
            THEN CASE WHEN completed_at IS NOT NULL THEN 'tuntas' ELSE 'tidak_tuntas' END
            ELSE status END, count(*)
FROM enrollments WHERE cohort_id = %(cohort)s GROUP BY 1
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--enrollments", type=int, default=300_000, help="synthetic enrollments (default 300000)")
    parser.add_argument("--database-url", default=DEFAULT_URL, help=f"server to create the database on ({DEFAULT_URL})")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument("--timeout", type=float, default=900, help="give up on one lms command after this (s)")
    return parser.parse_args()


def demo_cohort(url: str) -> tuple[int, datetime]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT id, learning_closes_at FROM cohorts WHERE code = 'DEMO'").fetchone()


def generate(url: str, n: int, now: datetime) -> float:
    start = time.perf_counter()
    with psycopg.connect(url) as conn:
        conn.execute(GENERATE_USERS, {"now": now, "n": n})
        made = conn.execute(GENERATE_ENROLLMENTS, {"now": now, "every": EXTENDED_EVERY}).rowcount
        conn.commit()
    if made != n:
        raise SystemExit(f"generated {made} enrollments, expected {n}")
    return time.perf_counter() - start


def settle(url: str) -> None:
    """The same starting point for every timed pass: fresh statistics, no dead rows, nothing dirty to flush."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE users, enrollments, cohorts")
        conn.execute("CHECKPOINT")


def status_counts(url: str, cohort: int) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT status, count(*) FROM enrollments WHERE cohort_id = %s GROUP BY status",
                            (cohort,)).fetchall()
    return {status: count for status, count in rows}


def expected_counts(url: str, cohort: int, now: datetime) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return dict(conn.execute(EXPECTED, {"now": now, "cohort": cohort}).fetchall())


def snapshot(url: str, cohort: int) -> None:
    with psycopg.connect(url) as conn:
        conn.execute("CREATE TABLE bench_before AS SELECT id, status FROM enrollments WHERE cohort_id = %s",
                     (cohort,))


def reset(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("UPDATE enrollments e SET status = b.status FROM bench_before b "
                            "WHERE e.id = b.id AND e.status <> b.status").rowcount


def time_plain_update(url: str, cohort: int, now: datetime) -> tuple[float, int]:
    with psycopg.connect(url) as conn:
        start = time.perf_counter()
        changed = conn.execute(PLAIN_UPDATE, {"cohort": cohort, "now": now}).rowcount
        conn.commit()
        return time.perf_counter() - start, changed


def parse_result(run: Run) -> dict[str, int]:
    """`activated=0 completed=… not_completed=… reopened=0 registrations_closed=…` as a mapping."""
    line = run.stdout.strip().splitlines()[-1]
    return {key: int(value) for key, value in (item.split("=") for item in line.split())}


def check(what: str, got, wanted) -> None:
    if got != wanted:
        raise SystemExit(f"{what}: got {got}, expected {wanted}")


@dataclass
class Outcome:
    enrollments: int
    moving: int
    expected: dict[str, int]
    startup: Run
    first: Run | None = None
    again: Run | None = None
    after_real: dict[str, int] = field(default_factory=dict)
    plain_seconds: float = 0.0
    after_plain: dict[str, int] = field(default_factory=dict)


def prepare(db: BenchDatabase, env: dict[str, str], n: int, timeout: float) -> tuple[int, datetime, Outcome]:
    """Migrate, load the demo, generate the participants; the instant to enforce at and what it must give."""
    for setup in (["db", "upgrade"], ["demo"]):
        print(f"lms {' '.join(setup)}: {run_lms(setup, env, timeout=timeout).check().seconds:.1f} s")
    cohort, closes_at = demo_cohort(db.url)
    now = closes_at + timedelta(days=1)
    print(f"generated {n:,} users and enrollments in {generate(db.url, n, now):.1f} s (SQL, generate_series)")
    print(f"DEMO closes at {closes_at.isoformat()}; enforcing as of {now.isoformat()}")
    snapshot(db.url, cohort)
    expected = expected_counts(db.url, cohort, now)
    moving = expected.get("tuntas", 0) + expected.get("tidak_tuntas", 0)
    return cohort, now, Outcome(n, moving, expected, startup_run(env))


def time_command(db: BenchDatabase, env: dict[str, str], cohort: int, now: datetime, outcome: Outcome,
                 timeout: float) -> None:
    """The real command twice: the first pass moves every ended enrollment, the second must find nothing."""
    settle(db.url)
    command = ["windows", "enforce", "--now", now.isoformat()]
    print(f"lms {' '.join(command)}")
    first = run_lms(command, env, timeout=timeout, sample_db=db.url).check()
    print(f"  first pass: {first.seconds:.1f} s, peak RSS {first.peak_rss_mb:.0f} MB: {first.stdout.strip()}")
    print_statements(first)
    result = parse_result(first)
    check("tuntas + tidak_tuntas moved", result["completed"] + result["not_completed"], outcome.moving)
    outcome.after_real = status_counts(db.url, cohort)
    check("statuses after lms windows enforce", outcome.after_real, outcome.expected)
    again = run_lms(command, env, timeout=timeout, sample_db=db.url).check()
    print(f"  second pass: {again.seconds:.1f} s, peak RSS {again.peak_rss_mb:.0f} MB: {again.stdout.strip()}")
    check("second pass", set(parse_result(again).values()), {0})
    outcome.first, outcome.again = first, again


def time_plain(db: BenchDatabase, cohort: int, now: datetime, outcome: Outcome) -> None:
    print(f"reset {reset(db.url):,} statuses to before")
    settle(db.url)
    outcome.plain_seconds, changed = time_plain_update(db.url, cohort, now)
    print(f"plain UPDATE: {outcome.plain_seconds:.2f} s, {changed:,} rows")
    check("rows changed by the plain UPDATE", changed, outcome.moving)
    outcome.after_plain = status_counts(db.url, cohort)
    check("statuses after plain UPDATE", outcome.after_plain, outcome.expected)


def report(o: Outcome) -> None:
    print("\nDEMO enrollments by status:")
    print_table(("status", "expected", "after lms windows enforce", "after plain UPDATE"),
                [(s, f"{o.expected.get(s, 0):,}", f"{o.after_real.get(s, 0):,}", f"{o.after_plain.get(s, 0):,}")
                 for s in STATUSES])
    print()
    n, plain = f"{o.enrollments:,}", o.plain_seconds
    up = o.startup.seconds
    print_table(("run", "enrollments", "rows moved", "seconds", "s − start-up", "rows/s", "peak RSS MB", "× UPDATE"), [
        ("lms windows enforce", n, f"{o.moving:,}", f"{o.first.seconds:.2f}", f"{o.first.seconds - up:.2f}",
         rate(o.moving, o.first.seconds), f"{o.first.peak_rss_mb:.0f}", f"{o.first.seconds / plain:.1f}×"),
        ("lms windows enforce (again)", n, "0", f"{o.again.seconds:.2f}", f"{o.again.seconds - up:.2f}", "-",
         f"{o.again.peak_rss_mb:.0f}", f"{o.again.seconds / plain:.1f}×"),
        ("plain UPDATE", n, f"{o.moving:,}", f"{plain:.2f}", "", rate(o.moving, plain), "-", "1×"),
    ])
    print(f"`lms --help` (interpreter + app start-up, in every lms time; best of 3): {o.startup.seconds:.1f} s, "
          f"peak RSS {o.startup.peak_rss_mb:.0f} MB")


def main() -> None:
    args = parse_args()
    with fresh_database(args.database_url, keep=args.keep) as db, instance_dir() as instance:
        env = lms_env(db, instance)
        cohort, now, outcome = prepare(db, env, args.enrollments, args.timeout)
        time_command(db, env, cohort, now, outcome, args.timeout)
        time_plain(db, cohort, now, outcome)
    report(outcome)


if __name__ == "__main__":
    main()
