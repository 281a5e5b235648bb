"""Time the reports at national scale, through HTTP, against the targets of ≤ 300 ms (300,000 participants) and
≤ 600 ms (900,000 in three cohorts) per request.

    python bench/bench_reports.py --participants 300000 [--cohorts 1] [--repeat 7] [--database-url URL] [--keep]
    python bench/bench_reports.py --participants 900000 --cohorts 3
    python bench/bench_reports.py --reuse DBNAME ...     # a database that already holds the data (kept earlier)

A fresh database (migrated; `lms demo --participants N --cohorts K`: N synthetic participants with varied progress
spread over DEMO, DEMO-2 …) is served by `gunicorn -w 1 'lms:create_app()'` in production mode. An admin and the
demo dinas account (Kota Makassar, 7371) get a bearer token and a logged-in session cookie, made by the app. Each
request below is sent once to warm up, then ``--repeat`` times one after another; the table gives the median and
the 95th percentile (nearest rank) in milliseconds against the target. Every request must answer 200.

The at-risk list is also asked for by a typed page number (``RISK_PAGE``, or its last page when the list is
shorter), which has no cursor to continue from.

The CSV export of the whole DEMO cohort and the at-risk CSV are read as streams; their time, size and the serving
worker's peak RSS (VmHWM from /proc) before and after each are printed: a flat peak means the export streams in
fixed memory.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import requests
from flask import session
from flask_login import login_user
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_ukppg import Server, production_env  # noqa: E402
from bench.harness import (  # noqa: E402
    DEFAULT_URL,
    BenchDatabase,
    fresh_database,
    instance_dir,
    libpq_url,
    print_table,
    run_lms,
)
from lms import create_app  # noqa: E402
from lms.admin import risk  # noqa: E402
from lms.auth import services as auth_services  # noqa: E402
from lms.auth.models import User  # noqa: E402
from lms.auth.sessions import SESSION_KEY, start_session  # noqa: E402
from lms.cohorts import services as cohorts  # noqa: E402
from lms.core.paging import encode_cursor  # noqa: E402
from lms.core.time import now_utc  # noqa: E402
from lms.extensions import db  # noqa: E402

ADMIN = "admin.demo@belajar.id"
DINAS = "dinas.demo@belajar.id"
PER_PAGE = 50
DEEP_PAGE = 5000
#: The at-risk page asked for by number (typed; no cursor), or the list's last page if it has fewer.
RISK_PAGE = 2000
#: The cursor of a late page of the report by school (see ``scenarios``).
LATE_SCHOOL = "80029000"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=300_000, help="in all cohorts (default 300000)")
    parser.add_argument("--cohorts", type=int, default=1, help="cohorts to spread them over (default 1)")
    parser.add_argument("--repeat", type=int, default=7, help="timed requests per row (default 7)")
    parser.add_argument("--database-url", default=DEFAULT_URL, help=f"server to create the database on ({DEFAULT_URL})")
    parser.add_argument("--reuse", metavar="DBNAME", help="an existing database holding the data: no build")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument("--timeout", type=float, default=7200, help="give up on one lms command after this (s)")
    return parser.parse_args()


@contextmanager
def database(args: argparse.Namespace):
    if args.reuse:
        url = libpq_url(args.database_url, args.reuse)
        app_url = args.database_url.rsplit("/", 1)[0] + f"/{args.reuse}"
        yield BenchDatabase(args.reuse, app_url, url), False
    else:
        with fresh_database(args.database_url, keep=args.keep) as made:
            yield made, True


def build(made: BenchDatabase, env: dict[str, str], args: argparse.Namespace, fresh: bool) -> None:
    run_lms(["db", "upgrade"], env, timeout=args.timeout).check()
    if fresh:
        demo = run_lms(["demo", "--participants", str(args.participants), "--cohorts", str(args.cohorts)], env,
                       timeout=args.timeout).check()
        print(f"lms demo --participants {args.participants} --cohorts {args.cohorts}: {demo.seconds:.1f} s")
    start = time.perf_counter()
    with psycopg.connect(made.url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        counts = conn.execute("SELECT c.code, count(*) FROM enrollments e JOIN cohorts c ON c.id = e.cohort_id "
                              "GROUP BY c.code ORDER BY c.code").fetchall()
    print(f"VACUUM ANALYZE: {time.perf_counter() - start:.1f} s; enrollments: "
          + ", ".join(f"{code} {n:,}" for code, n in counts))


@dataclass
class Visitor:
    token: str
    cookie: str


def visitors(env: dict[str, str]) -> tuple[dict[str, Visitor], str, int, int]:
    """Token and session cookie of the admin and the dinas account (made by the app, as the login callback does);
    the cursor of the DEMO participants list at page ``DEEP_PAGE`` (or its last page) and that page's number; the
    at-risk page to ask for by number (``RISK_PAGE`` or the last)."""
    app = create_app(env=env)
    now = now_utc()
    made = {}
    with app.app_context():
        serializer = app.session_interface.get_signing_serializer(app)
        for email in (ADMIN, DINAS):
            user = db.session.scalar(select(User).where(User.email == email))
            token = auth_services.create_token(user, days=1, now=now)[1]
            secret = start_session(user, now=now)
            with app.test_request_context("/", environ_base={"REMOTE_ADDR": "127.0.0.1"}):
                session[SESSION_KEY] = secret
                login_user(user)
                cookie = f"{app.config['SESSION_COOKIE_NAME']}={serializer.dumps(dict(session))}"
            made[email] = Visitor(token, cookie)
        db.session.commit()
        count = db.session.connection().exec_driver_sql(
            "SELECT count(*) FROM enrollments e JOIN cohorts c ON c.id = e.cohort_id WHERE c.code = 'DEMO'").scalar()
        page = max(1, min(DEEP_PAGE, math.ceil(count / PER_PAGE)))
        at_risk = risk.at_risk_count(cohorts.find_cohort("DEMO"), now=now)
        risk_page = max(1, min(RISK_PAGE, math.ceil(at_risk / risk.PER_PAGE)))
        print(f"DEMO: {at_risk:,} participants at risk; typed at-risk page {risk_page}")
        boundary = db.session.connection().exec_driver_sql(
            "SELECT u.email FROM enrollments e JOIN users u ON u.id = e.user_id JOIN cohorts c ON c.id = e.cohort_id "
            f"WHERE c.code = 'DEMO' ORDER BY u.email OFFSET {max(0, (page - 1) * PER_PAGE - 1)} LIMIT 1").scalar()
        db.session.remove()
        db.engine.dispose()
    return made, encode_cursor([boundary]) if page > 1 else "", page, risk_page


def scenarios(v: dict[str, Visitor], cursor: str, page: int, risk_page: int) -> list[tuple[str, str, dict]]:
    admin_api = {"Authorization": f"Bearer {v[ADMIN].token}"}
    admin_page = {"Cookie": v[ADMIN].cookie}
    dinas_api = {"Authorization": f"Bearer {v[DINAS].token}"}
    dinas_page = {"Cookie": v[DINAS].cookie}
    after = f"&after={cursor}" if cursor else ""
    rows = [(f"API progress group={g}", f"/api/v1/cohorts/DEMO/progress?group={g}", admin_api)
            for g in ("province", "kabkota", "school")]
    rows += [(f"page progress group={g}", f"/admin/cohorts/DEMO/progress?group={g}", admin_page)
             for g in ("province", "kabkota", "school")]
    # The report by school is paged by NPSN; a page near the end of DEMO's synthetic schools (one per ten of its
    # participants, NPSN 80000000 + n: 30,000 at 300,000), after a cursor.
    rows += [("API progress group=school, late page", f"/api/v1/cohorts/DEMO/progress?group=school&after={LATE_SCHOOL}",
              admin_api),
             ("page progress group=school, late page", f"/admin/cohorts/DEMO/progress?group=school&after={LATE_SCHOOL}",
              admin_page)]
    rows += [
        ("page at-risk, first page", "/admin/cohorts/DEMO/berisiko", admin_page),
        ("page at-risk, page 20", "/admin/cohorts/DEMO/berisiko?page=20", admin_page),
        (f"page at-risk, typed page {risk_page}", f"/admin/cohorts/DEMO/berisiko?page={risk_page}", admin_page),
        ("page drill-down (cohort page, kab/kota 7371)", "/admin/cohorts/DEMO?wilayah=7371", admin_page),
        ("page participant list, after cursor", f"/admin/cohorts/DEMO?page={page}{after}", admin_page),
        ("API enrollments page 1", f"/api/v1/cohorts/DEMO/enrollments?per_page={PER_PAGE}", admin_api),
        (f"API enrollments page {page} (offset)", f"/api/v1/cohorts/DEMO/enrollments?per_page={PER_PAGE}&page={page}",
         admin_api),
        (f"API enrollments page {page} (cursor)",
         f"/api/v1/cohorts/DEMO/enrollments?per_page={PER_PAGE}&page={page}{after}", admin_api),
        ("dinas page report group=school", "/laporan/DEMO?group=school", dinas_page),
        ("dinas API report group=kabkota", "/api/v1/regional/cohorts/DEMO/progress?group=kabkota", dinas_api),
        ("dinas page drill-down (participants)", "/laporan/DEMO/peserta", dinas_page),
    ]
    return rows


def timed(http: requests.Session, base: str, path: str, headers: dict, repeat: int) -> list[float]:
    samples = []
    for n in range(repeat + 1):
        start = time.perf_counter()
        response = http.get(base + path, headers=headers, timeout=600, allow_redirects=False)
        elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            raise SystemExit(f"GET {path}: {response.status_code}\n{response.text[:2000]}")
        if n:  # the first is the warm-up
            samples.append(elapsed)
    return samples


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def export_csv(http: requests.Session, base: str, headers: dict, worker: int, encoding: str,
               path: str = "/api/v1/cohorts/DEMO/enrollments?format=csv") -> tuple:
    """(seconds, MB sent, rows, worker peak RSS before, after) of a CSV export (by default the whole DEMO cohort's
    participants), asked with ``Accept-Encoding: encoding`` (the bytes on the wire are counted, compressed or
    not)."""
    before = peak_rss_mb(worker)
    start = time.perf_counter()
    size = lines = 0
    with http.get(base + path, stream=True, timeout=3600,
                  headers={**headers, "Accept-Encoding": encoding}) as response:
        if response.status_code != 200:
            raise SystemExit(f"CSV export: {response.status_code} {response.text[:2000]}")
        for chunk in response.raw.stream(1 << 16, decode_content=False):
            size += len(chunk)
            if encoding == "identity":
                lines += chunk.count(b"\n")
    return time.perf_counter() - start, size / 1e6, lines - 1, before, peak_rss_mb(worker)


def main() -> None:
    args = parse_args()
    target = 300 if args.participants <= 300_000 else 600
    with database(args) as (made, fresh), instance_dir() as instance:
        env = production_env(made, instance)
        env["GUNICORN_CMD_ARGS"] = "--timeout 3600"  # the whole-cohort CSV export takes longer than 30 s
        build(made, env, args, fresh)
        v, cursor, page, risk_page = visitors(env)
        server = Server(env, 1, instance / "gunicorn.log")
        try:
            server.wait_healthy()
            http = requests.Session()
            results = []
            for label, path, headers in scenarios(v, cursor, page, risk_page):
                samples = timed(http, server.url, path, headers, args.repeat)
                median, high = statistics.median(samples), p95(samples)
                results.append((label, len(samples), f"{median:.0f}", f"{high:.0f}", target,
                                "ok" if high <= target else "OVER"))
                print(f"  {label}: median {median:.0f} ms, p95 {high:.0f} ms", flush=True)
            worker = server.worker_pids()[0]
            # Identity first: the worker's peak RSS only grows, so each later line shows what its encoder adds.
            token = {"Authorization": f"Bearer {v[ADMIN].token}"}
            exports = [("identity", *export_csv(http, server.url, token, worker, "identity"))]
            # Before the compressed ones: the peak RSS only grows, and Brotli's encoder state would hide it.
            risk_export = export_csv(http, server.url, {"Cookie": v[ADMIN].cookie}, worker, "identity",
                                     "/admin/cohorts/DEMO/berisiko?format=csv")
            exports += [(encoding, *export_csv(http, server.url, token, worker, encoding))
                        for encoding in ("gzip", "br")]
        finally:
            server.stop()
    print(f"\n{args.participants:,} participants in {args.cohorts} cohort(s); {args.repeat} timed requests per row "
          f"after one warm-up; target {target} ms (p95)")
    print_table(("request", "n", "median ms", "p95 ms", "target ms", ""), results)
    rows = exports[0][3]
    print(f"CSV export of DEMO (every participant, streamed): {rows:,} rows")
    print_table(("Accept-Encoding", "seconds", "MB sent", "worker peak RSS before MB", "after MB"),
                [(encoding, f"{seconds:.1f}", f"{mb:.1f}", f"{before:.0f}", f"{after:.0f}")
                 for encoding, seconds, mb, _, before, after in exports])
    seconds, mb, rows, before, after = risk_export
    print(f"At-risk CSV of DEMO (streamed, identity): {rows:,} rows, {seconds:.1f} s, {mb:.1f} MB; worker peak RSS "
          f"{before:.0f} -> {after:.0f} MB")


if __name__ == "__main__":
    main()
