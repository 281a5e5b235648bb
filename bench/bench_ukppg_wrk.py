"""The UKPPPG registration rush under wrk: the app's cost per request, with a client in C.

    python bench/bench_ukppg_wrk.py [--participants 10000] [--seats 5000] [--sessions 50] [--popular 5]
                                    [--workers 2] [--connections 64] [--threads 2] [--database-url URL] [--keep]

The data are those of `bench_ukppg.py` (N participants who completed everything, each with a bearer token, and
sessions whose seats add up to --seats, made in SQL; 70 % choose one of the --popular sessions; 5 % send their
request twice, back to back, so that two connections carry them at once). Here wrk sends each participant's
`POST /api/v1/ukppg/registrations` once (twice for the doubles), in arrival order, for --duration seconds: each wrk
thread walks its own share of that order (a share that runs out starts again: those repeats can only be answered
409, and the report says how often it happened). There is no retry after a `409 seat_full` (the threaded client of
`bench_ukppg.py` retries once; wrk cannot tie an answer to its request). Requests still in flight when wrk stops
may have registered without their 201 being counted: the check allows up to --connections of those.

Expected answers: 201, `409 seat_full`, `409 already_registered`; anything else fails the run. Reported: requests/s,
p50/p99 (wrk's histogram), the answers by kind, CPU ms per request of the gunicorn tree and of the PostgreSQL
backends (/proc), and the database checks: no session overbooked or out of step with its registrations, nobody
registered twice, numbers unique, and as many registrations as 201 answers.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import wrk  # noqa: E402
from bench.bench_ukppg import (  # noqa: E402
    CHECK_SESSIONS,
    DUPLICATES,
    Server,
    backend_pids,
    plan,
    rush_world,
)
from bench.harness import DEFAULT_URL, print_table  # noqa: E402

#: The answers a registration may get; anything else fails the run.
ANSWERS = (wrk.Answer("created", 201), wrk.Answer("seat_full", 409, '"seat_full"'),
           wrk.Answer("already", 409, '"already_registered"'))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--seats", type=int, default=5_000)
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--popular", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections (default 64)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--duration", type=int, default=15, help="seconds of load (default 15)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--keep", action="store_true")
    return parser.parse_args()


def rush_requests(tokens: list[str], plans, order) -> list[wrk.Request]:
    """Each participant's registration in arrival order; a double submitter's request twice in a row."""
    out = []
    for i in order:
        request = wrk.Request("POST", "/api/v1/ukppg/registrations",
                              {"Authorization": f"Bearer {tokens[i]}", "Content-Type": "application/json"},
                              wrk.json_body({"session_id": plans[i].first}))
        out.extend([request, request] if plans[i].double else [request])
    return out


def checks(url: str, result: wrk.WrkResult, connections: int) -> list[str]:
    with psycopg.connect(url) as conn:
        sessions = conn.execute(CHECK_SESSIONS).fetchall()
        duplicates = conn.execute(DUPLICATES).fetchone()[0]
        total, distinct, numbered = conn.execute(
            "SELECT count(*), count(DISTINCT number), count(number) FROM ukppg_registrations "
            "WHERE cancelled_at IS NULL").fetchone()
    overbooked = [row for row in sessions if row[2] > row[1] or row[2] != row[3]]
    rows = [
        ("overbooked sessions (seats_taken > seats or ≠ active registrations)", len(overbooked), 0),
        ("participants with more than one active registration", duplicates, 0),
        ("registration numbers missing or not unique", total - min(distinct, numbered), 0),
        ("201 answers without a registration in the database", max(0, result.answers["created"] - total), 0),
        ("registrations beyond the 201 answers and the requests cut off in flight",
         max(0, total - result.answers["created"] - connections), 0),
        ("answers other than 201 / 409 seat_full / 409 already_registered", result.unexpected, 0),
        ("socket errors", result.socket_errors, 0),
    ]
    print("\ndatabase checks:")
    failed = []
    for label, got, want in rows:
        print(f"  {'ok  ' if got == want else 'FAIL'} {label}: {got:,}")
        if got != want:
            failed.append(label)
    print(f"  active registrations {total:,} of {sum(r[1] for r in sessions):,} seats")
    return failed


def main() -> None:
    args = parse_args()
    with rush_world(args, "lms_bench_rush") as (db, instance, env, tokens, sessions):
        plans, order = plan(args.participants, sessions, args.popular, random.Random(args.seed))
        requests = rush_requests(tokens, plans, order)
        with psycopg.connect(db.url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
        server = Server(env, args.workers, instance / "gunicorn.log")
        try:
            print(f"gunicorn -w {args.workers}: healthy after {server.wait_healthy():.1f} s")
            with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
                script.write(wrk.lua_script(requests, answers=ANSWERS, shares=True))
            pids = wrk.tree_pids(server.process.pid)
            load_before = os.getloadavg()[0]
            app_before, pg_before = wrk.cpu_seconds(pids), wrk.cpu_seconds(backend_pids(db.url))
            command = wrk.wrk_command(server.url, script.name, threads=args.threads, connections=args.connections,
                                      duration=args.duration, timeout=30)
            start = time.perf_counter()
            output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
            wall = time.perf_counter() - start
            app_cpu = wrk.cpu_seconds(pids) - app_before
            pg_cpu = wrk.cpu_seconds(backend_pids(db.url)) - pg_before
            load_after = os.getloadavg()[0]
            os.unlink(script.name)
        finally:
            server.stop()
        result = wrk.parse_wrk(output)
        n, answers = result.requests, result.answers
        print(f"\nrush: {args.participants:,} participants ({len(requests) - args.participants:,} double), "
              f"{args.seats:,} seats in {args.sessions} sessions ({args.popular} popular); gunicorn -w {args.workers}, "
              f"wrk -t{args.threads} -c{args.connections}; load average {load_before:.1f} before, "
              f"{load_after:.1f} after; wall {wall:.1f} s; shares started again: {result.wrapped}")
        print_table(("requests", "req/s", "p50 ms", "p99 ms", "201", "409 seat_full", "409 already", "other",
                     "app CPU ms/req", "PG CPU ms/req"),
                    [(f"{n:,}", f"{result.rps:,.0f}", f"{result.p50_ms:.1f}", f"{result.p99_ms:.1f}",
                      f"{answers['created']:,}", f"{answers['seat_full']:,}", f"{answers['already']:,}",
                      f"{result.unexpected:,}", f"{app_cpu * 1000 / n:.2f}", f"{pg_cpu * 1000 / n:.2f}")])
        if result.first_error:
            print(f"first unexpected answer: {result.first_error}")
        failed = checks(db.url, result, args.connections)
    if failed:
        raise SystemExit(f"FAILED: {'; '.join(failed)}")


if __name__ == "__main__":
    main()
