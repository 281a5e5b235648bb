"""The progress hot path inside one process: Flask test client, PostgreSQL, demo data, no HTTP server.

    python bench/bench_progress_inprocess.py [--participants 2000] [--sample 200] [--requests 2000]
                                             [--database-url URL] [--keep]

A fresh database (migrated, `lms demo --participants N`, VACUUM ANALYZE); the app (production mode, as
`bench_http.py` makes it) gives a random sample of the synthetic participants a bearer token and a session cookie.
Then three requests are sent in interleaved rounds, one of each per round, rotating the participants, so that other
load on the machine shifts them alike:

- ``GET /api/v1/me/progress`` with the bearer token;
- ``GET /api/v1/me/progress`` with the session cookie;
- ``GET /sertifikasi/`` with the session cookie.

Per request: wall time (median and p90), CPU time of this thread (median), and the SQL statements and COMMITs it
sent (mean). The first rounds warm the process up and are not counted. Last, the cost of dumping a 40-module
progress answer through its marshmallow schema, against ``json.dumps`` of the same dict.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_http import in_process  # noqa: E402
from bench.harness import DEFAULT_URL, print_table  # noqa: E402
from lms.extensions import db  # noqa: E402

WARMUP = 50


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=2000, help="synthetic participants (default 2000)")
    parser.add_argument("--sample", type=int, default=200, help="participants with a token and a cookie (200)")
    parser.add_argument("--requests", type=int, default=2000, help="measured requests per scenario (2000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=DEFAULT_URL, help=f"server to create the database on ({DEFAULT_URL})")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument("--profile", action="store_true",
                        help="instead of timing, profile the bearer progress request (cProfile, top 40 by own time)")
    return parser.parse_args()


def measure(app, visitors, requests: int) -> None:
    client = app.test_client()
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    counts = {"statements": 0, "commits": 0}

    def on_statement(conn, cursor, statement, parameters, context, executemany):
        counts["statements"] += 1

    def on_commit(conn):
        counts["commits"] += 1

    def bearer(i):
        return client.get("/api/v1/me/progress",
                          headers={"Authorization": f"Bearer {visitors.tokens[i % len(visitors.tokens)]}"})

    def cookie(path):
        def send(i):
            value = visitors.cookies[i % len(visitors.cookies)].split("=", 1)[1]
            client.set_cookie(cookie_name, value)
            try:
                return client.get(path, environ_base={"REMOTE_ADDR": "127.0.0.1"})
            finally:
                client.delete_cookie(cookie_name)
        return send

    scenarios = {"GET /api/v1/me/progress (bearer)": bearer,
                 "GET /api/v1/me/progress (cookie)": cookie("/api/v1/me/progress"),
                 "GET /sertifikasi/ (cookie)": cookie("/sertifikasi/")}
    wall = {name: [] for name in scenarios}
    cpu = {name: [] for name in scenarios}
    statements = dict.fromkeys(scenarios, 0)
    commits = dict.fromkeys(scenarios, 0)
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", on_statement)
    event.listen(engine, "commit", on_commit)
    try:
        for i in range(WARMUP + requests):
            for name, send in scenarios.items():
                counts.update(statements=0, commits=0)
                start_cpu, start = time.thread_time(), time.perf_counter()
                response = send(i)
                spent, spent_cpu = time.perf_counter() - start, time.thread_time() - start_cpu
                assert response.status_code == 200, (name, response.status_code, response.data[:300])
                if i >= WARMUP:
                    wall[name].append(spent * 1000)
                    cpu[name].append(spent_cpu * 1000)
                    statements[name] += counts["statements"]
                    commits[name] += counts["commits"]
    finally:
        event.remove(engine, "before_cursor_execute", on_statement)
        event.remove(engine, "commit", on_commit)
    print(f"\n{requests} requests per scenario, interleaved (after {WARMUP} warm-up rounds):")
    print_table(("scenario", "median ms", "p90 ms", "median CPU ms", "statements/req", "commits/req"),
                [(name, f"{statistics.median(wall[name]):.2f}",
                  f"{statistics.quantiles(wall[name], n=10)[-1]:.2f}", f"{statistics.median(cpu[name]):.2f}",
                  f"{statements[name] / requests:.2f}", f"{commits[name] / requests:.2f}") for name in scenarios])


def profile(app, visitors, requests: int) -> None:
    import cProfile
    import pstats

    client = app.test_client()

    def send(i):
        client.get("/api/v1/me/progress",
                   headers={"Authorization": f"Bearer {visitors.tokens[i % len(visitors.tokens)]}"})

    for i in range(len(visitors.tokens)):  # every token used once: no write left in the profiled requests
        send(i)
    profiler = cProfile.Profile(time.thread_time)  # CPU time: waiting for the database is not counted
    profiler.enable()
    for i in range(requests):
        send(i)
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(40)
    stats.sort_stats("cumulative").print_stats(60)


def dump_cost(rounds: int = 500, modules: int = 40) -> None:
    """The marshmallow dump of a 40-module progress answer, against json.dumps of the same dict."""
    from lms.modules import schemas

    body = {
        "cohort": {"code": "DEMO", "name": "Angkatan Demo", "learning_start": "2026-11-01",
                   "learning_end": "2026-11-30", "timezone": "Asia/Jakarta", "open": True, "window": "open",
                   "closes_at": "2026-11-30T17:00:00+00:00", "extended": False},
        "status": "aktif", "percent": 40, "complete": False,
        "modules": [{"id": m, "code": f"M{m}", "title": f"Modul {m}", "unlocked": True, "complete": False,
                     "materi": [{"id": m * 10 + k, "title": f"Materi {k}", "done": k < 2, "minutes": 10}
                                for k in range(3)],
                     "posttest": {"done": False, "attempts": 0, "unlocked": False, "best_score": None,
                                  "max_score": None},
                     "journal": {"done": False, "status": "empty", "unlocked": False}} for m in range(modules)],
        "next": {"kind": "materi", "module_id": 1, "materi_id": 12},
        "registration": {"eligible": False, "open": False, "window_open": True, "registered": False,
                         "opens_at": None, "closes_at": "2026-11-30T17:00:00+00:00", "not_yet_open": False},
    }
    schema = schemas.Progress()
    timings = {}
    for label, work in (("schema dump + json.dumps", lambda: json.dumps(schema.dump(body))),
                        ("json.dumps only", lambda: json.dumps(body))):
        start = time.thread_time()
        for _ in range(rounds):
            work()
        timings[label] = (time.thread_time() - start) * 1000 / rounds
    print(f"\nserializing a {modules}-module progress answer ({rounds} times): "
          + ", ".join(f"{label} {ms:.3f} ms" for label, ms in timings.items()))


def main() -> None:
    args = parse_args()
    with in_process(args, "lms_bench_inproc") as (_, app, visitors):
        if args.profile:
            profile(app, visitors, args.requests)
        else:
            measure(app, visitors, args.requests)
    dump_cost()


if __name__ == "__main__":
    main()
