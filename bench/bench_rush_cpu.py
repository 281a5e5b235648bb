"""CPU per request of the UKPPPG registration rush inside one process, by answer, with Python calls per request.

    python bench/bench_rush_cpu.py [--participants 3000] [--seats 1000] [--sessions 20] [--top created|seat_full]
                                   [--database-url URL] [--keep]

The data of ``bench_ukppg.py`` (N participants who completed everything, each with a bearer token; sessions whose
seats add up to --seats, made in SQL), the app in production mode in this process (``create_app``), and every
participant's ``POST /api/v1/ukppg/registrations`` sent once through the Flask test client, in a shuffled order,
70 % to one of five popular sessions: the first ones register (201), the later ones to a full session are refused
(``409 seat_full``). Each request is timed in CPU time of this thread (``time.thread_time``: waiting for the
database is not counted), and the SQL statements it sent are counted; the figures are given per kind of answer
(median and mean CPU ms). Then the same rush again on a fresh set of seats under cProfile for the Python calls per
request of each kind (``--top KIND`` prints that profile).

The tree measured is the one this file lives in, so an older tree (``git archive``) can run its own copy of this
script at the same time, on the same machine; the wrk benchmark (``bench_ukppg_wrk.py``) measures the same requests
under gunicorn.
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import os
import pstats
import random
import statistics
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_ukppg import rush_world  # noqa: E402
from bench.harness import DEFAULT_URL, counting_statements, print_table  # noqa: E402
from lms import create_app  # noqa: E402
from lms.extensions import db  # noqa: E402

KINDS = {201: "created", 409: "seat_full"}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=3000)
    parser.add_argument("--seats", type=int, default=1000)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--top", help="print the CPU profile of this kind of answer (created, seat_full)")
    parser.add_argument("--database-url", default=DEFAULT_URL, help=f"server to create the database on ({DEFAULT_URL})")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    return parser.parse_args()


def choices(n: int, sessions: list[int], rng: random.Random) -> list[int]:
    popular = sessions[:5]
    return [rng.choice(popular) if rng.random() < 0.7 else rng.choice(sessions) for _ in range(n)]


def reset(url: str) -> None:
    """Everyone unregistered again, every seat free (for the profiled pass)."""
    with psycopg.connect(url) as conn:
        conn.execute("DELETE FROM ukppg_registrations")
        conn.execute("DELETE FROM audit_events WHERE action = 'ukppg.register'")
        conn.execute("UPDATE exam_sessions SET seats_taken = 0")


def rush(client, tokens, picks, order, count, profile=None):
    """Per kind of answer: CPU ms of each request, statements; and the profiler per kind when given."""
    cpu: dict[str, list[float]] = {k: [] for k in KINDS.values()}
    statements: dict[str, int] = dict.fromkeys(KINDS.values(), 0)
    for i in order:
        count["n"] = 0
        profiler = cProfile.Profile(time.thread_time) if profile is not None else None
        start = time.thread_time()
        if profiler:
            profiler.enable()
        response = client.post("/api/v1/ukppg/registrations", json={"session_id": picks[i]},
                               headers={"Authorization": f"Bearer {tokens[i]}"})
        if profiler:
            profiler.disable()
        spent = (time.thread_time() - start) * 1000
        kind = KINDS.get(response.status_code)
        if kind is None:
            raise SystemExit(f"unexpected answer {response.status_code}: {response.data[:300]!r}")
        cpu[kind].append(spent)
        statements[kind] += count["n"]
        if profiler:
            profile.setdefault(kind, []).append(profiler)
    return cpu, statements


def main() -> None:
    args = parse_args()
    with rush_world(args, "lms_bench_rushcpu") as (bench_db, _instance, env, tokens, sessions):
        rng = random.Random(args.seed)
        picks = choices(args.participants, sessions, rng)
        order = list(range(args.participants))
        rng.shuffle(order)
        logging.getLogger("lms.access").disabled = True  # one JSON line per request: not what is measured
        app = create_app(env=env)
        client = app.test_client()
        with app.app_context():
            engine = db.engine
        with counting_statements(engine) as count:
            for i in order[:50]:  # warm-up: the tokens' first use is recorded, connections opened
                client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens[i]}"})
            cpu, statements = rush(client, tokens, picks, order, count)
            reset(bench_db.url)
            profiles: dict[str, list] = {}
            rush(client, tokens, picks, order, count, profile=profiles)
        rows = []
        for kind, values in cpu.items():
            if not values:
                continue
            stats = pstats.Stats(*profiles[kind])
            rows.append((kind, f"{len(values):,}", f"{statistics.median(values):.2f}",
                         f"{statistics.fmean(values):.2f}", f"{stats.total_calls / len(profiles[kind]):,.0f}",
                         f"{statements[kind] / len(values):.2f}"))
            if args.top == kind:
                stats.sort_stats("tottime").print_stats(40)
                stats.sort_stats("cumulative").print_stats(70)
        with app.app_context():
            db.engine.dispose()
        print(f"\n{args.participants:,} registrations for {args.seats:,} seats in {args.sessions} sessions, "
              f"load average {os.getloadavg()[0]:.1f}, tree {Path(__file__).resolve().parent.parent}:")
        print_table(("answer", "requests", "CPU ms median", "CPU ms mean", "Python calls/req", "statements/req"),
                    rows)


if __name__ == "__main__":
    main()
