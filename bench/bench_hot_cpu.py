"""CPU per request of the hot paths inside one process, with Python calls per request: what to compare between
two trees run at the same time on a loaded machine.

    python bench/bench_hot_cpu.py [--participants 1000] [--sample 100] [--requests 400] [--rounds 3]
                                  [--top SCENARIO [--callers PATTERN]] [--access-log] [--database-url URL] [--keep]

A fresh database (migrated, ``lms demo --participants N``, VACUUM ANALYZE) and a random sample of the synthetic
participants with a bearer token and a logged-in session cookie (``bench_http.make_visitors``). The scenarios, sent
through the Flask test client (its own cookie jar, as a browser's):

- bare: ``GET /users/{id}`` of ``bench/bare_app.py`` (one psycopg query), the floor;
- ``GET /api/v1/me/progress`` with the bearer token;
- ``GET /sertifikasi/`` (the dashboard) with the session cookie;
- ``PUT /api/v1/journals/{first module}``: a draft autosave with the bearer token.

Each scenario is warmed up, then timed ``--rounds`` times over ``--requests`` requests, scenarios interleaved
round by round, in CPU time of this thread (``time.thread_time``: waiting for the database is not counted); the
lowest round is printed, with the SQL statements per request. One more pass per scenario under cProfile counts the
Python function calls per request (the profiler's own overhead makes that pass's time meaningless, so it is not
printed). ``--top`` prints the profile of one scenario (its name's first word: bare, progress, dashboard, draft).

The access log (one JSON line per request in production) is off unless ``--access-log``: then it is written, by the
root logger's handlers as in production, to ``/dev/null``.

The tree measured is the one this file lives in, so an older commit's tree (``git worktree add``) can run its own
copy of this script side by side, on the same machine at the same time.
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import bare_app  # noqa: E402
from bench.bench_http import in_process  # noqa: E402
from bench.harness import DEFAULT_URL, counting_statements, print_table  # noqa: E402
from lms.extensions import db  # noqa: E402

WARMUP = 60


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=1000, help="synthetic participants (default 1000)")
    parser.add_argument("--sample", type=int, default=100, help="participants with a token and a cookie (100)")
    parser.add_argument("--requests", type=int, default=400, help="requests per scenario and round (400)")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds (3; the lowest is printed)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--top", help="print the CPU profile of this scenario (bare, progress, dashboard, draft)")
    parser.add_argument("--callers", help="with --top: also print who calls the functions matching this pattern")
    parser.add_argument("--access-log", action="store_true", help="write the access log to /dev/null (default: off)")
    parser.add_argument("--database-url", default=DEFAULT_URL, help=f"server to create the database on ({DEFAULT_URL})")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    return parser.parse_args()


def senders(app, bare, visitors) -> dict:
    client = app.test_client()
    # No User-Agent, as wrk sends none and as the cookies were made (bench_http.make_visitors): the identifier
    # Flask-Login bound each session to then matches, as a browser's does, instead of every view marking the session
    # not fresh and writing the cookie back.
    client.environ_base.pop("HTTP_USER_AGENT", None)
    bare_client = bare.test_client()
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    draft = {"answers": visitors.journal_answers, "submit": False}
    cookie_values = [c.split("=", 1)[1] for c in visitors.cookies]

    def bare_get(i):
        return bare_client.get(f"/users/{visitors.user_ids[i % len(visitors.user_ids)]}")

    def progress(i):
        return client.get("/api/v1/me/progress",
                          headers={"Authorization": f"Bearer {visitors.tokens[i % len(visitors.tokens)]}"})

    def dashboard(i):
        client.set_cookie(cookie_name, cookie_values[i % len(cookie_values)])
        try:
            return client.get("/sertifikasi/", environ_base={"REMOTE_ADDR": "127.0.0.1"})
        finally:
            client.delete_cookie(cookie_name)

    def autosave(i):
        token = visitors.journal_tokens[i % len(visitors.journal_tokens)]
        return client.put(f"/api/v1/journals/{visitors.journal_module}", json=draft,
                          headers={"Authorization": f"Bearer {token}"})

    return {"bare: GET /users/{id}": bare_get, "progress: GET /api/v1/me/progress (bearer)": progress,
            "dashboard: GET /sertifikasi/ (cookie)": dashboard,
            f"draft: PUT /api/v1/journals/{visitors.journal_module}": autosave}


def measure(app, bare, visitors, args) -> None:
    sends = senders(app, bare, visitors)
    with app.app_context():
        engine = db.engine
    with counting_statements(engine) as count:
        for name, send in sends.items():
            for i in range(WARMUP):
                response = send(i)
                assert 200 <= response.status_code < 300, (name, response.status_code, response.data[:300])
        cpu = {name: [] for name in sends}
        statements = dict.fromkeys(sends, 0)
        for _round in range(args.rounds):
            for name, send in sends.items():
                count["n"] = 0
                start = time.thread_time()
                for i in range(args.requests):
                    send(i)
                cpu[name].append((time.thread_time() - start) * 1000 / args.requests)
                statements[name] = count["n"] / args.requests
    calls = {}
    for name, send in sends.items():
        profiler = cProfile.Profile(time.thread_time)
        profiler.enable()
        for i in range(args.requests):
            send(i)
        profiler.disable()
        stats = pstats.Stats(profiler)
        calls[name] = stats.total_calls / args.requests
        if args.top and name.startswith(args.top):
            stats.sort_stats("tottime").print_stats(45)
            stats.sort_stats("cumulative").print_stats(70)
            if args.callers:
                stats.print_callers(args.callers)
    floor = min(cpu["bare: GET /users/{id}"])
    print(f"\n{args.requests} requests per scenario and round, {args.rounds} rounds (lowest shown), "
          f"load average {os.getloadavg()[0]:.1f}, tree {Path(__file__).resolve().parent.parent}:")
    print_table(("scenario", "CPU ms/req", "all rounds", "× bare CPU", "Python calls/req", "statements/req"),
                [(name, f"{min(cpu[name]):.2f}", " ".join(f"{c:.2f}" for c in cpu[name]),
                  f"{floor / min(cpu[name]):.2f}", f"{calls[name]:,.0f}", f"{statements[name]:.2f}")
                 for name in sends])


def main() -> None:
    args = parse_args()
    with in_process(args, "lms_bench_hotcpu") as (bench_db, app, visitors):
        os.environ["BARE_DATABASE_URL"] = bench_db.url
        if args.access_log:
            devnull = open(os.devnull, "w")  # noqa: SIM115 - open for the whole run
            for handler in logging.getLogger().handlers:  # production's: use_json_logs (LMS_LOG_FORMAT=json)
                handler.setStream(devnull)
        else:
            logging.getLogger("lms.access").disabled = True  # one JSON line per request: not what is measured
        measure(app, bare_app.create_app(), visitors, args)


if __name__ == "__main__":
    main()
