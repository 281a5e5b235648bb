"""The hot paths under load, against a bare Flask + psycopg endpoint in the same run, measured with wrk.

    python bench/bench_http.py [--participants 20000] [--sample 500] [--workers 2] [--connections 16]
                               [--duration 10] [--threads 2] [--warmup 2] [--database-url URL] [--keep]

A fresh database (migrated, demo data, in production mode) gets N synthetic participants with varied progress in
the open DEMO cohort (`lms demo --participants N`). For a random sample of them the app itself makes bearer tokens
and logs them in (a server-side session record and the signed session cookie, as the login callback does). Two
gunicorn servers run side by side with the same number of sync workers: `lms:create_app()` (LMS_ENV=production,
Redis rate-limit storage) and `bench.bare_app:create_app()` (one `SELECT ... WHERE id = %s` per request).

Each scenario is one wrk run (a Lua script rotates the tokens or cookies); for each: requests/s, p50 and p99,
non-2xx answers, the ratio to the bare endpoint's requests/s, and CPU ms per request of the serving gunicorn
(master + workers, utime + stime from /proc, reaped children included) and of the PostgreSQL backends. Any
non-2xx answer or socket error fails the run, with the first error body.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import brotli
import psycopg
import requests
from flask import g, session
from flask_login import login_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select
from urllib3.util import SKIP_HEADER

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_ukppg import Server, backend_pids, production_env  # noqa: E402
from bench.harness import DEFAULT_URL, fresh_database, instance_dir, print_table, run_lms  # noqa: E402
from bench.wrk import (  # noqa: E402
    Request,
    WrkResult,
    cpu_seconds,
    json_body,
    lua_script,
    parse_wrk,
    tree_pids,
    wrk_command,
)
from lms import create_app  # noqa: E402
from lms.auth import identity  # noqa: E402
from lms.auth import services as auth_services  # noqa: E402
from lms.auth.models import User  # noqa: E402
from lms.auth.sessions import SESSION_KEY, start_session  # noqa: E402
from lms.cohorts.models import Cohort, Enrollment  # noqa: E402
from lms.core.time import now_utc  # noqa: E402
from lms.curriculum.models import Module  # noqa: E402
from lms.dashboard import services as dashboard_services  # noqa: E402
from lms.extensions import db  # noqa: E402
from lms.journal.models import Prompt  # noqa: E402
from lms.modules import progress  # noqa: E402
from lms.posttest.models import Attempt  # noqa: E402

ANSWER = ("Saya mencoba diskusi kelompok kecil di kelas IV: peserta didik menjelaskan cara mereka membagi "
          "kue menjadi bagian yang sama besar, lalu menuliskan lambang pecahannya.")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=20_000, help="participants (default 20000)")
    parser.add_argument("--sample", type=int, default=500, help="participants with a token and a cookie (500)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers of each server (default 2)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured seconds before each scenario (default 2)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=DEFAULT_URL, help=f"server to create the database on ({DEFAULT_URL})")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument("--timeout", type=float, default=900, help="give up on one lms command after this (s)")
    return parser.parse_args()


# --- participants, tokens, cookies --------------------------------------------------------------------------------


@dataclass
class Visitors:
    user_ids: list[int]
    tokens: list[str]
    cookies: list[str]
    #: Tokens of the sampled participants who may write the first module's journal (its post-test is done).
    journal_tokens: list[str]
    journal_module: int
    journal_answers: dict[str, str]


@contextmanager
def in_process(args: argparse.Namespace, prefix: str) -> Iterator[tuple[object, object, Visitors]]:
    """For the in-process benchmarks: a fresh database (migrated, ``lms demo --participants N``, VACUUM ANALYZE),
    visitors for ``--sample`` of its participants, and the app in production mode: yields (database, app, visitors)
    and disposes of the app's connections at the end."""
    with fresh_database(args.database_url, keep=args.keep, prefix=prefix) as bench_db, instance_dir() as instance:
        env = production_env(bench_db, instance)
        for setup in (["db", "upgrade"], ["demo", "--participants", str(args.participants)]):
            print(f"lms {' '.join(setup)}: {run_lms(setup, env).check().seconds:.1f} s")
        with psycopg.connect(bench_db.url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
        visitors = make_visitors(env, args.sample, args.seed)
        app = create_app(env=env)
        try:
            yield bench_db, app, visitors
        finally:
            with app.app_context():
                db.engine.dispose()


def make_visitors(env: dict[str, str], sample: int, seed: int) -> Visitors:
    """Tokens and logged-in session cookies for a random sample of the synthetic participants, made by the app."""
    app = create_app(env=env)
    now = now_utc()
    with app.app_context():
        cohort = db.session.scalar(select(Cohort).where(Cohort.code == "DEMO"))
        ids = db.session.scalars(select(User.id).join(Enrollment, Enrollment.user_id == User.id)
                                 .where(Enrollment.cohort_id == cohort.id, User.email.like("peserta%"))
                                 .order_by(User.id)).all()
        chosen = sorted(random.Random(seed).sample(ids, min(sample, len(ids))))
        first = db.session.scalar(select(Module).where(Module.curriculum_id == cohort.curriculum_id)
                                  .order_by(Module.position).limit(1))
        prompts = db.session.scalars(select(Prompt.id).where(Prompt.module_id == first.id)).all()
        may_write = set(db.session.scalars(select(Enrollment.user_id).join(Attempt, Attempt.enrollment_id ==
                                                                          Enrollment.id)
                                           .where(Attempt.module_id == first.id, Enrollment.cohort_id == cohort.id)))
        users = db.session.scalars(select(User).where(User.id.in_(chosen)).order_by(User.id)).unique().all()
        tokens, secrets_ = [], []
        for user in users:
            tokens.append(auth_services.create_token(user, days=30, now=now)[1])
            secrets_.append(start_session(user, now=now))
        user_ids = [u.id for u in users]
        db.session.commit()
        journal_tokens = [t for uid, t in zip(user_ids, tokens, strict=True) if uid in may_write]
        serializer = app.session_interface.get_signing_serializer(app)
        cookies = []
        for user, secret in zip(users, secrets_, strict=True):
            # What the login callback leaves in the session (Flask-Login's _id is bound to the client address), and
            # the form token the first page after it adds (every page's CSRF meta tag): the cookie a browser holds
            # from then on. Without it every request would be "the first page", re-signing the cookie each time.
            with app.test_request_context("/", environ_base={"REMOTE_ADDR": "127.0.0.1"}):
                session[SESSION_KEY] = secret
                login_user(user)
                # The token is cached in ``g``, which every participant's request context here shares: start
                # afresh, or only the first participant's cookie would hold one.
                g.pop(app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
                generate_csrf()
                cookies.append(f"{app.config['SESSION_COOKIE_NAME']}={serializer.dumps(dict(session))}")
        visitors = Visitors(user_ids, tokens, cookies, journal_tokens, first.id,
                            {str(p): ANSWER for p in prompts})
        db.session.remove()
        db.engine.dispose()
    return visitors


# --- scenarios ----------------------------------------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    server: Server
    requests: list[Request]


def progress_statements(app) -> str:
    """The two statements the app sends for ``GET /api/v1/me/progress`` (its identity statement, with whatever the
    app includes in it, and the participant's own rows), as compiled for PostgreSQL, for ``bare_app``'s
    ``/progress``: JSON."""
    with app.app_context():
        dialect = db.engine.dialect
        token = identity._statements(app.extensions.get(identity._INCLUDED))[0]._for(dialect)
        own = progress._OWN_ROWS._for(dialect)
    defaults = {k: v for k, v in token.defaults.items() if k != "token_hash"}
    return json.dumps({"identity": token.sql, "defaults": defaults, "own_rows": own.sql,
                       "enrollment_column": identity._TOKEN_SHAPE.width + 1})


def dashboard_statements(app) -> str:
    """The two statements the app sends for ``GET /sertifikasi/`` (the live session's identity statement and the
    page's rows), with what ``bare_app``'s ``/dashboard`` needs to read the app's session cookie: JSON."""
    with app.app_context():
        dialect = db.engine.dialect
        user = identity._statements(app.extensions.get(identity._INCLUDED))[1]._for(dialect)
        page = dashboard_services._PAGE_ROWS._for(dialect)
    email_column = [c.key for c in User.__table__.columns].index("email")
    return json.dumps({"identity": user.sql, "page_rows": page.sql, "session_key": SESSION_KEY,
                       "defaults": {k: v for k, v in user.defaults.items() if k not in ("user_id", "session_id")},
                       "page_defaults": {k: v for k, v in page.defaults.items() if k not in ("enrollment_id", "email")},
                       "enrollment_column": identity._USER_SHAPE.width + 1, "email_column": email_column,
                       "secret_key": app.secret_key, "cookie_name": app.config["SESSION_COOKIE_NAME"]})


def scenarios(bare: Server, app: Server, v: Visitors) -> list[Scenario]:
    bearer = [{"Authorization": f"Bearer {t}"} for t in v.tokens]
    draft = json_body({"answers": v.journal_answers, "submit": False})
    return [
        Scenario("bare: GET /users/{id}", bare, [Request("GET", f"/users/{uid}") for uid in v.user_ids]),
        Scenario("bare + the app's 2 progress statements", bare, [Request("GET", "/progress", h) for h in bearer]),
        Scenario("GET /api/v1/me/progress", app, [Request("GET", "/api/v1/me/progress", h) for h in bearer]),
        Scenario("  same, Accept-Encoding: br", app,
                 [Request("GET", "/api/v1/me/progress", {**h, "Accept-Encoding": "br, gzip"}) for h in bearer]),
        Scenario("bare + the app's 2 dashboard statements", bare,
                 [Request("GET", "/dashboard", {"Cookie": c}) for c in v.cookies]),
        Scenario("GET /sertifikasi/ (cookie)", app, [Request("GET", "/sertifikasi/", {"Cookie": c})
                                                     for c in v.cookies]),
        Scenario(f"PUT /api/v1/journals/{v.journal_module} (draft)", app,
                 [Request("PUT", f"/api/v1/journals/{v.journal_module}",
                          {"Authorization": f"Bearer {t}", "Content-Type": "application/json"}, draft)
                  for t in v.journal_tokens]),
    ]


def check_once(s: Scenario) -> None:
    """One request of the scenario through `requests`: a refusal fails at once, with its body."""
    r = s.requests[0]
    # No User-Agent, as wrk sends none: the cookies were made without one (Flask-Login binds a session to it), and
    # urllib3 adds its own unless told to skip it.
    response = requests.request(r.method, s.server.url + r.path, headers={"User-Agent": SKIP_HEADER, **r.headers},
                                data=r.body, timeout=30, allow_redirects=False)
    if not 200 <= response.status_code < 300:
        raise SystemExit(f"{s.name}: {response.status_code} {response.text[:1000]}")
    if "Set-Cookie" in response.headers:  # the visitor's cookie is not what a browser would hold by now
        raise SystemExit(f"{s.name}: the answer sets a cookie ({response.headers['Set-Cookie'][:80]}…): each "
                         "request would measure a first visit")


@dataclass
class Measured:
    scenario: Scenario
    result: WrkResult
    app_cpu: float
    db_cpu: float


def backend_cpu(url: str) -> dict[int, float]:
    return {pid: cpu_seconds([pid]) for pid in backend_pids(url)}


def run_wrk(s: Scenario, args: argparse.Namespace, folder: Path, seconds: int) -> WrkResult:
    script = folder / "scenario.lua"
    script.write_text(lua_script(s.requests), encoding="utf-8")
    command = wrk_command(s.server.url, script, threads=args.threads, connections=args.connections,
                          duration=seconds)
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)}: exit {done.returncode}\n{done.stdout}\n{done.stderr}")
    return parse_wrk(done.stdout)


def measure(s: Scenario, args: argparse.Namespace, db_url: str, folder: Path) -> Measured:
    check_once(s)
    if args.warmup:
        run_wrk(s, args, folder, args.warmup)
    pids = tree_pids(s.server.process.pid)
    app_before, db_before = cpu_seconds(pids), backend_cpu(db_url)
    result = run_wrk(s, args, folder, args.duration)
    app_after = cpu_seconds(tree_pids(s.server.process.pid))
    db_after = backend_cpu(db_url)
    db_used = sum(after - db_before.get(pid, 0.0) for pid, after in db_after.items())
    return Measured(s, result, app_after - app_before, db_used)


def report(measured: list[Measured], args: argparse.Namespace) -> None:
    bare = measured[0].result.rps
    rows = []
    for m in measured:
        r = m.result
        per = 1000 / r.requests if r.requests else float("nan")
        rows.append((m.scenario.name, f"{r.rps:,.0f}", f"{r.p50_ms:.1f}", f"{r.p99_ms:.1f}", f"{r.unexpected:,}",
                     f"{r.rps / bare:.2f}×" if bare else "-", f"{m.app_cpu * per:.2f}", f"{m.db_cpu * per:.2f}"))
    print(f"\nwrk -t{args.threads} -c{args.connections} -d{args.duration}s --latency; gunicorn -w {args.workers} "
          f"(sync) for each server; {os.cpu_count()} cores; load average now {os.getloadavg()[0]:.1f}")
    print_table(("scenario", "req/s", "p50 ms", "p99 ms", "non-2xx", "× bare", "app CPU ms/req", "PG CPU ms/req"),
                rows)


# --- compression cost, in-process ---------------------------------------------------------------------------------


def compression_cost(env: dict[str, str], tokens: list[str], rounds: int = 300) -> None:
    """Size and CPU cost of compressing the progress answer, inside one process (test client). The three encodings
    are interleaved request by request and timed in this thread's CPU time, so other load on the machine shifts
    them alike."""
    app = create_app(env=env)
    client = app.test_client()
    modes = (("identity", None), ("gzip", "gzip"), ("br", "br"))
    cpu = dict.fromkeys((label for label, _ in modes), 0.0)
    sizes: dict[str, list[int]] = {label: [] for label, _ in modes}
    body = b""
    for i in range(rounds + 20):
        for label, accept in modes:
            headers = {"Authorization": f"Bearer {tokens[i % len(tokens)]}"}
            if accept:
                headers["Accept-Encoding"] = accept
            start = time.thread_time()
            response = client.get("/api/v1/me/progress", headers=headers)
            spent = time.thread_time() - start
            assert response.status_code == 200 and response.headers.get("Content-Encoding") == accept, response.data
            if i >= 20:  # the first rounds warm the process up
                cpu[label] += spent
                sizes[label].append(len(response.data))
            if accept is None:
                body = response.data
    print(f"\ncompression of GET /api/v1/me/progress, in-process ({rounds} requests per encoding, interleaved):")
    print_table(("Accept-Encoding", "bytes on the wire", "CPU ms/request (whole request)"),
                [(label, f"{sum(sizes[label]) / rounds:,.0f}", f"{cpu[label] * 1000 / rounds:.2f}")
                 for label, _ in modes])
    alone = []
    for label, compress in (("gzip -6", lambda d: gzip.compress(d, 6)),
                            ("br -1 (the app's)", lambda d: brotli.compress(d, quality=1)),
                            ("br -4", lambda d: brotli.compress(d, quality=4))):
        start = time.thread_time()
        for _ in range(rounds):
            compress(body)
        alone.append(f"{label} {(time.thread_time() - start) * 1000 / rounds:.3f} ms")
    print(f"  compressing one {len(body):,}-byte answer alone: {', '.join(alone)}")
    with app.app_context():
        db.engine.dispose()


def main() -> None:
    args = parse_args()
    failed = []
    with fresh_database(args.database_url, keep=args.keep, prefix="lms_bench_http") as bench_db, \
            instance_dir() as instance, tempfile.TemporaryDirectory(prefix="wrk-") as folder:
        env = production_env(bench_db, instance)
        for setup in (["db", "upgrade"], ["demo", "--participants", str(args.participants)]):
            print(f"lms {' '.join(setup)}: {run_lms(setup, env, timeout=args.timeout).check().seconds:.1f} s")
        with psycopg.connect(bench_db.url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
        start = time.perf_counter()
        visitors = make_visitors(env, args.sample, args.seed)
        print(f"{len(visitors.tokens)} tokens and session cookies, {len(visitors.journal_tokens)} of them may write "
              f"module {visitors.journal_module}'s journal: {time.perf_counter() - start:.1f} s")
        compression_cost(env, visitors.tokens)
        bare_env = {**os.environ, "BARE_DATABASE_URL": bench_db.url,
                    "BARE_PROGRESS_STATEMENTS": progress_statements(made := create_app(env=env)),
                    "BARE_DASHBOARD_STATEMENTS": dashboard_statements(made)}
        app = Server(env, args.workers, instance / "gunicorn-app.log")
        bare = Server(bare_env, args.workers, instance / "gunicorn-bare.log", app="bench.bare_app:create_app()")
        measured = []
        try:
            for server in (app, bare):
                print(f"gunicorn -w {args.workers} {server.url}: healthy after {server.wait_healthy():.1f} s")
            for s in scenarios(bare, app, visitors):
                m = measure(s, args, bench_db.url, Path(folder))
                measured.append(m)
                print(f"  {s.name}: {m.result.rps:,.0f} req/s, {m.result.unexpected} non-2xx")
                if m.result.unexpected or m.result.socket_errors:
                    failed.append(f"{s.name}: {m.result.unexpected} non-2xx, {m.result.socket_errors} socket errors; "
                                  f"first error: {m.result.first_error[:600]}")
        finally:
            app.stop()
            bare.stop()
        report(measured, args)
    if failed:
        raise SystemExit("FAILED:\n" + "\n".join(failed))


if __name__ == "__main__":
    main()
