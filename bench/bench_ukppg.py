"""A UKPPPG registration rush against the real app: gunicorn, bearer tokens, `POST /api/v1/ukppg/registrations`.

    python bench/bench_ukppg.py --participants 10000 --seats 5000 [--workers 4] [--concurrency 64]
                                [--sessions 50] [--popular 5] [--database-url URL] [--keep]

A fresh database (migrated, demo data loaded, in production mode) gets N participants in the DEMO cohort who have
completed everything, each with a bearer token, and exam sessions whose seats add up to --seats (the demo's own
sessions are removed first), all made in SQL. Then gunicorn serves `lms:create_app()` and a pool of --concurrency
client threads makes every participant register at once: 70 % pick one of the --popular sessions, the others any
session; a `409 seat_full` is retried once with a random other session; 5 % of the participants double-submit (the
same request twice, concurrently). Afterwards the database is checked: no session overbooked or out of step with
its registrations, nobody registered twice, and the HTTP answers agree with the rows.
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (  # noqa: E402
    DEFAULT_URL,
    BenchDatabase,
    StatementSampler,
    fresh_database,
    instance_dir,
    lms_env,
    print_table,
    run_lms,
)

GUNICORN = Path(sys.executable).parent / "gunicorn"
POPULAR_SHARE = 0.70
DOUBLE_SHARE = 0.05
EMAIL = "rush.{:07d}@guru.sd.belajar.id"
#: (name, kode_kabkota) of the bench's exam sites (real kab/kota codes).
SITES = (("TUK Makassar", "7371"), ("TUK Jakarta Timur", "3175"), ("TUK Surabaya", "3578"), ("TUK Jayapura", "9171"),
         ("TUK Bandung", "3273"), ("TUK Medan", "1271"), ("TUK Denpasar", "5171"), ("TUK Balikpapan", "6471"),
         ("TUK Yogyakarta", "3471"), ("TUK Manado", "7171"))
KABKOTA = ("7371", "3175", "3578", "9171", "3273", "1271", "5171", "6471", "3471", "7171")

GENERATE_USERS = """
INSERT INTO users (email, name, created_at, active)
SELECT format('rush.%%s@guru.sd.belajar.id', lpad(g::text, 7, '0')), 'Peserta ' || g, %(now)s, true
FROM generate_series(0, %(n)s - 1) AS g
"""
GENERATE_ENROLLMENTS = """
INSERT INTO enrollments (user_id, cohort_id, programme_year, status, kode_kabkota, completed_at, created_at)
SELECT u.id, c.id, c.programme_year, 'aktif', (%(kabkota)s::text[])[1 + u.id %% %(nk)s], %(now)s, %(now)s
FROM users u JOIN cohorts c ON c.code = 'DEMO'
WHERE u.email LIKE 'rush.%%'
"""
GENERATE_TOKENS = """
INSERT INTO api_tokens (user_id, token_hash, prefix, created_at, expires_at)
SELECT u.id, encode(sha256(convert_to(t.token, 'UTF8')), 'hex'), left(t.token, 12), %(now)s, %(expires)s
FROM bench_tokens t JOIN users u ON u.email = format('rush.%%s@guru.sd.belajar.id', lpad(t.n::text, 7, '0'))
"""
GENERATE_SESSIONS = """
INSERT INTO exam_sessions (site_id, date, start, seats, seats_taken)
SELECT s.id, %(day)s::date + (k / %(sites)s / 2), CASE WHEN (k / %(sites)s) %% 2 = 0 THEN time '08:00'
       ELSE time '13:00' END, %(each)s + CASE WHEN k < %(extra)s THEN 1 ELSE 0 END, 0
FROM generate_series(0, %(sessions)s - 1) AS k
JOIN exam_sites s ON s.name = (%(names)s::text[])[1 + k %% %(sites)s]
"""
CHECK_SESSIONS = """
SELECT s.id, s.seats, s.seats_taken, count(r.id) FILTER (WHERE r.cancelled_at IS NULL)
FROM exam_sessions s LEFT JOIN ukppg_registrations r ON r.session_id = s.id
GROUP BY s.id ORDER BY s.id
"""
DUPLICATES = """
SELECT count(*) FROM (SELECT enrollment_id FROM ukppg_registrations WHERE cancelled_at IS NULL
                      GROUP BY enrollment_id HAVING count(*) > 1) AS d
"""
ACTIVE = """
SELECT substring(u.email FROM '^rush\\.(\\d+)@')::int, r.session_id, extract(epoch FROM r.created_at)
FROM ukppg_registrations r JOIN enrollments e ON e.id = r.enrollment_id JOIN users u ON u.id = e.user_id
WHERE r.cancelled_at IS NULL
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=10_000, help="participants (default 10000)")
    parser.add_argument("--seats", type=int, default=5_000, help="seats over all sessions (default 5000)")
    parser.add_argument("--sessions", type=int, default=50, help="exam sessions (default 50, on 10 sites)")
    parser.add_argument("--popular", type=int, default=5, help="sessions 70 %% of participants pick (default 5)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--concurrency", type=int, default=64, help="client threads (default 64)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the participants' choices (default 1)")
    parser.add_argument("--database-url", default=DEFAULT_URL, help=f"server to create the database on ({DEFAULT_URL})")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument("--timeout", type=float, default=900, help="give up on one lms command after this (s)")
    args = parser.parse_args()
    if not 1 <= args.sessions <= args.seats:
        parser.error("--sessions must be between 1 and --seats")
    if not 1 <= args.popular <= args.sessions:
        parser.error("--popular must be between 1 and --sessions")
    return args


def production_env(db: BenchDatabase, instance: Path) -> dict[str, str]:
    env = lms_env(db, instance)
    # Production refuses per-process rate-limit storage: the workers share one Redis.
    env.update(LMS_ENV="production", LMS_REDIS_URL=os.environ.get("LMS_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
               LMS_NIK_HMAC_KEY=secrets.token_urlsafe(32),
               LMS_NIK_ENCRYPTION_KEY=base64.urlsafe_b64encode(os.urandom(32)).decode(),
               LMS_OIDC_ISSUER="https://accounts.example.com", LMS_OIDC_CLIENT_ID="x", LMS_OIDC_CLIENT_SECRET="y")
    return env


# --- data ---------------------------------------------------------------------------------------------------------


def generate(url: str, n: int, seats: int, sessions: int) -> tuple[list[str], list[int]]:
    """N completed participants with a token each, and the sessions; returns the tokens and the session ids."""
    now = datetime.now(UTC)
    tokens = ["lms_" + secrets.token_urlsafe(32) for _ in range(n)]
    with psycopg.connect(url) as conn:
        conn.execute("CREATE TEMPORARY TABLE bench_tokens (n int PRIMARY KEY, token text NOT NULL)")
        with conn.cursor().copy("COPY bench_tokens (n, token) FROM STDIN") as copy:
            for i, token in enumerate(tokens):
                copy.write_row((i, token))
        conn.execute(GENERATE_USERS, {"now": now, "n": n})
        made = conn.execute(GENERATE_ENROLLMENTS, {"now": now, "kabkota": list(KABKOTA), "nk": len(KABKOTA)}).rowcount
        made_tokens = conn.execute(GENERATE_TOKENS, {"now": now, "expires": now + timedelta(days=30)}).rowcount
        # Only the bench's sessions: the demo's (nobody registered yet) would add seats nobody asked for.
        conn.execute("DELETE FROM exam_sessions")
        conn.execute("DELETE FROM exam_sites")
        sites = SITES[:min(len(SITES), sessions)]
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO exam_sites (name, province, kode_kabkota, address) VALUES (%s, %s, %s, %s)",
                            [(name, kode[:2], kode, f"Alamat {name}") for name, kode in sites])
        day = now.date() + timedelta(days=40)
        conn.execute(GENERATE_SESSIONS, {"day": day, "sites": len(sites), "sessions": sessions,
                                         "each": seats // sessions, "extra": seats % sessions,
                                         "names": [name for name, _ in sites]})
        ids = [row[0] for row in conn.execute("SELECT id FROM exam_sessions ORDER BY id")]
        total = conn.execute("SELECT sum(seats) FROM exam_sessions").fetchone()[0]
        conn.commit()
    if made != n or made_tokens != n or len(ids) != sessions or total != seats:
        raise SystemExit(f"generated {made} enrollments, {made_tokens} tokens, {len(ids)} sessions, {total} seats")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return tokens, ids


# --- the server ---------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`gunicorn -w W -b 127.0.0.1:PORT APP` (default the lms app), its output in a log file."""

    def __init__(self, env: dict[str, str], workers: int, log: Path, *, app: str = "lms:create_app()",
                 health: str = "/healthz") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.health = health
        self._out = open(log, "w", encoding="utf-8")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [str(GUNICORN), "-w", str(workers), "-b", f"127.0.0.1:{self.port}", app],
            cwd=Path(__file__).resolve().parent.parent, env=env, stdout=self._out, stderr=subprocess.STDOUT)

    def wait_healthy(self, timeout: float = 60.0) -> float:
        start = time.perf_counter()
        while time.perf_counter() - start < timeout:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.process.returncode}:\n{self.tail()}")
            try:
                if requests.get(f"{self.url}{self.health}", timeout=2).status_code == 200:
                    return time.perf_counter() - start
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise SystemExit(f"gunicorn not healthy after {timeout:.0f} s:\n{self.tail()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._out.close()

    def worker_pids(self) -> list[int]:
        return [pid for pid in _pids() if _ppid(pid) == self.process.pid]

    def tail(self, lines: int = 40) -> str:
        self._out.flush()
        return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def _pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _ppid(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of these processes (their own, not their children's), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def backend_pids(url: str) -> list[int]:
    with psycopg.connect(url, autocommit=True) as conn:
        return [row[0] for row in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                               "AND pid <> pg_backend_pid()")]


@dataclass
class Cpu:
    """CPU seconds spent during the rush, by side (PostgreSQL: the backends still connected at the end)."""

    client: float
    gunicorn: float
    postgres: float
    load_before: float  # 1-minute load average
    load_after: float


# --- the rush -----------------------------------------------------------------------------------------------------


@dataclass
class Answer:
    participant: int
    kind: str  # first, double (the second of a double submission), retry
    session_id: int
    status: int  # 0: no HTTP answer (connection error, timeout)
    code: str  # "created" for 201, else the body's code (or the exception)
    seconds: float
    ended: float  # time.time() when the answer was in
    registered_session: int | None = None  # session_id of a 201's body


@dataclass
class Plan:
    first: int
    retry: int  # another session, asked only after a seat_full
    double: bool


def plan(n: int, sessions: list[int], popular: int, rng: random.Random) -> tuple[list[Plan], list[int]]:
    """Each participant's choices, and the order in which they arrive (all from one generator: two generators with
    the same seed would put the double-submitters at the end of the order)."""
    hot = rng.sample(sessions, popular)
    doubles = set(rng.sample(range(n), round(n * DOUBLE_SHARE)))
    plans = []
    for i in range(n):
        first = rng.choice(hot) if rng.random() < POPULAR_SHARE else rng.choice(sessions)
        plans.append(Plan(first, rng.choice([s for s in sessions if s != first] or [first]), i in doubles))
    order = list(range(n))
    rng.shuffle(order)
    return plans, order


class Rush:
    def __init__(self, url: str, tokens: list[str], plans: list[Plan], order: list[int]) -> None:
        self.endpoint = f"{url}/api/v1/ukppg/registrations"
        self.tokens, self.plans, self.order = tokens, plans, order
        self.answers: list[Answer] = []
        self._lock = threading.Lock()
        self._local = threading.local()

    def _http(self) -> requests.Session:
        http = getattr(self._local, "http", None)
        if http is None:
            http = self._local.http = requests.Session()
        return http

    def send(self, participant: int, session_id: int, kind: str) -> Answer:
        headers = {"Authorization": f"Bearer {self.tokens[participant]}"}
        start = time.perf_counter()
        try:
            response = self._http().post(self.endpoint, json={"session_id": session_id}, headers=headers, timeout=120)
            seconds = time.perf_counter() - start
            try:
                body = response.json()
            except ValueError:
                body = {}
            status = response.status_code
            code = "created" if status == 201 else str(body.get("code", "(no code)"))
            answer = Answer(participant, kind, session_id, status, code, seconds, time.time(),
                            body.get("session_id") if status == 201 else None)
        except requests.RequestException as exc:
            answer = Answer(participant, kind, session_id, 0, type(exc).__name__, time.perf_counter() - start,
                            time.time())
        with self._lock:
            self.answers.append(answer)
        return answer

    def participant(self, i: int, doubles: ThreadPoolExecutor) -> None:
        p = self.plans[i]
        twin = doubles.submit(self.send, i, p.first, "double") if p.double else None
        answers = [self.send(i, p.first, "first")]
        if twin:
            answers.append(twin.result())
        if any(a.status == 201 for a in answers) or not all(a.code == "seat_full" for a in answers):
            return
        self.send(i, p.retry, "retry")

    def run(self, concurrency: int) -> float:
        start = time.perf_counter()
        with ThreadPoolExecutor(max(4, concurrency // 4), thread_name_prefix="double") as doubles, \
                ThreadPoolExecutor(concurrency, thread_name_prefix="rush") as pool:
            for future in [pool.submit(self.participant, i, doubles) for i in self.order]:
                future.result()
        return time.perf_counter() - start


# --- checks and the report ----------------------------------------------------------------------------------------


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, max(0, round(q / 100 * len(sorted_values) + 0.5) - 1))]


def outcome(a: Answer) -> str:
    if a.status == 201:
        return "201 created"
    if a.status == 409 and a.code in ("seat_full", "already_registered"):
        return f"409 {a.code}"
    return f"other: {a.status} {a.code}"


def latency_row(label: str, answers: list[Answer]) -> tuple:
    ms = sorted(a.seconds * 1000 for a in answers)
    if not ms:
        return (label, "0", "-", "-", "-", "-")
    return (label, f"{len(ms):,}", f"{percentile(ms, 50):.0f}", f"{percentile(ms, 95):.0f}",
            f"{percentile(ms, 99):.0f}", f"{ms[-1]:.0f}")


def report_rush(args: argparse.Namespace, rush: Rush, wall: float, cpu: Cpu) -> None:
    answers = rush.answers
    created = sum(a.status == 201 for a in answers)
    print(f"\nrush: {args.participants:,} participants ({sum(p.double for p in rush.plans):,} double-submitting), "
          f"{args.seats:,} seats in {args.sessions} sessions ({args.popular} popular), gunicorn -w {args.workers}, "
          f"{args.concurrency} client threads")
    print(f"  requests: {len(answers):,} in {wall:.2f} s wall")
    print(f"  registrations/s (201s / wall): {created / wall:,.0f}")
    print(f"  requests/s: {len(answers) / wall:,.0f}")
    print(f"  CPU seconds during the rush ({os.cpu_count()} cores = {os.cpu_count() * wall:.0f} s available): "
          f"gunicorn workers {cpu.gunicorn:.0f} s ({cpu.gunicorn * 1000 / len(answers):.1f} ms/request), "
          f"PostgreSQL backends {cpu.postgres:.0f} s, this client {cpu.client:.0f} s; "
          f"load average {cpu.load_before:.1f} before, {cpu.load_after:.1f} after")
    print()
    counts = Counter(outcome(a) for a in answers)
    fixed = ["201 created", "409 seat_full", "409 already_registered"]
    print_table(("outcome", "requests"), [(o, f"{counts.get(o, 0):,}") for o in fixed]
                + [(o, f"{c:,}") for o, c in sorted(counts.items()) if o not in fixed])
    pairs: dict[int, list[str]] = {}
    for a in answers:
        if a.kind in ("first", "double") and rush.plans[a.participant].double:
            pairs.setdefault(a.participant, []).append(outcome(a))
    print()
    print_table(("double submission: the two answers", "participants"),
                [(" + ".join(pair), f"{n:,}") for pair, n in Counter(tuple(sorted(p)) for p in pairs.values())
                 .most_common()])
    first_won = sum(1 for a in answers if a.status == 201 and a.kind != "retry")
    print(f"  seats won at the first choice: {first_won:,}; after the one retry: {created - first_won:,}")
    print()
    rows = [latency_row("all requests", answers)]
    rows += [latency_row(o, [a for a in answers if outcome(a) == o]) for o in fixed + sorted(set(counts) - set(fixed))]
    rows += [latency_row(f"kind: {k}", [a for a in answers if a.kind == k]) for k in ("first", "double", "retry")]
    print_table(("latency (ms)", "n", "p50", "p95", "p99", "max"), rows)


def verify(url: str, args: argparse.Namespace, rush: Rush) -> list[str]:
    """Prints every check; returns the failed ones."""
    with psycopg.connect(url) as conn:
        sessions = conn.execute(CHECK_SESSIONS).fetchall()
        duplicates = conn.execute(DUPLICATES).fetchone()[0]
        active = conn.execute(ACTIVE).fetchall()
        numbers = conn.execute("SELECT count(*), count(DISTINCT number), count(number) FROM ukppg_registrations "
                               "WHERE cancelled_at IS NULL").fetchone()
    answers = rush.answers
    overbooked = [(sid, seats, taken, n) for sid, seats, taken, n in sessions if taken > seats or taken != n]
    seats = sum(s for _, s, _, _ in sessions)
    total = len(active)
    taken = {sid: t for sid, _, t, _ in sessions}
    capacity = {sid: s for sid, s, _, _ in sessions}
    # HTTP answers against rows: every 201 is a row for that participant and session, and every row had its 201.
    won: dict[int, list[int | None]] = {}
    for a in answers:
        if a.status == 201:
            won.setdefault(a.participant, []).append(a.registered_session)
    rows = {p: sid for p, sid, _ in active}
    two_201 = sorted(p for p, got in won.items() if len(got) > 1)
    lost = sorted(p for p, got in won.items() if rows.get(p) not in got)
    phantom = sorted(p for p in rows if p not in won)
    # No cancellations happen, so seats_taken only grows: a seat_full for a session that ends with free seats was
    # a refusal with a seat still there.
    false_full = [a for a in answers if a.code == "seat_full" and taken[a.session_id] < capacity[a.session_id]]
    # A registration's created_at is taken when its request starts; one that started after a seat_full for the same
    # session had been answered got a seat the refusal said was not there.
    last_start = {}
    for _, sid, created in active:
        last_start[sid] = max(last_start.get(sid, 0.0), float(created))
    late_full = [a for a in answers if a.code == "seat_full" and last_start.get(a.session_id, 0.0) > a.ended]
    false_already = [a for a in answers if a.code == "already_registered" and a.participant not in rows]
    server_errors = [a for a in answers if a.status >= 500 or a.status == 0]
    gave_up = sum(1 for p in range(args.participants) if p not in won)
    free = seats - total

    checks = [
        ("overbooked sessions (seats_taken > seats or ≠ active registrations)", len(overbooked), 0),
        ("participants with more than one active registration", duplicates, 0),
        ("participants answered 201 more than once", len(two_201), 0),
        ("201 answers without that registration in the database", len(lost), 0),
        ("registrations in the database without a 201 answer", len(phantom), 0),
        ("seat_full answers for a session that still has free seats", len(false_full), 0),
        ("seat_full answers before a registration that started later in that session", len(late_full), 0),
        ("already_registered answers to participants without a registration", len(false_already), 0),
        ("5xx answers and requests without an answer", len(server_errors), 0),
        ("registration numbers missing or not unique", numbers[0] - min(numbers[1], numbers[2]), 0),
    ]
    print("\ndatabase checks:")
    failed = []
    for label, got, want in checks:
        ok = got == want
        print(f"  {'ok  ' if ok else 'FAIL'} {label}: {got:,}")
        if not ok:
            failed.append(label)
    over = total > seats
    print(f"  {'FAIL' if over else 'ok  '} active registrations {total:,} ≤ seats {seats:,}")
    if over:
        failed.append("registrations > seats")
    if args.participants >= seats and not over:
        full = total == seats
        why = "" if full else (f": {free:,} seats free, {gave_up:,} participants without a seat (each retries "
                               "only once: a shortfall of the load pattern, unless a check above failed)")
        print(f"  {'ok  ' if full else 'WARN'} active registrations {total:,} == seats {seats:,} "
              f"(participants ≥ seats){why}")
    if overbooked:
        print("  overbooked (session, seats, seats_taken, active registrations):", overbooked[:20])
    if two_201 or lost or phantom:
        print(f"  participants: two 201s {two_201[:10]}, lost {lost[:10]}, phantom {phantom[:10]}")
    for a in late_full[:10]:
        print(f"  seat_full then a seat: participant {a.participant} session {a.session_id} answered at {a.ended:.3f},"
              f" a registration there started at {last_start[a.session_id]:.3f}")
    for a in false_full[:10]:
        print(f"  false seat_full: participant {a.participant} session {a.session_id} "
              f"({taken[a.session_id]}/{capacity[a.session_id]} taken at the end)")
    for a in server_errors[:10]:
        print(f"  error: participant {a.participant} ({a.kind}) session {a.session_id}: {a.status} {a.code}")
    per_session = Counter(sid for _, sid, _ in active)
    hot = sorted({p.first for p in rush.plans}, key=lambda s: -sum(1 for p in rush.plans if p.first == s))
    print(f"  popular sessions filled: {', '.join(f'{per_session[s]}/{capacity[s]}' for s in hot[:args.popular])}; "
          f"sessions full: {sum(1 for sid, s, t, _ in sessions if t == s)}/{len(sessions)}")
    return failed


def print_slow_statements(statements: list[tuple[float, float, str]], at_least: float = 0.5) -> None:
    slow = [(t, s, q) for t, s, q in statements if s >= at_least]
    print(f"\nSQL statements seen running ≥ {at_least:.1f} s during the rush (pg_stat_activity every 0.2 s): "
          f"{len(slow)}")
    for started, seconds, text in slow[:15]:
        print(f"  {started:7.1f} s  {seconds:6.1f} s  {text}")


@contextmanager
def rush_world(args: argparse.Namespace, prefix: str, *, timeout: float = 900.0):
    """A fresh database with the demo data and the rush's participants and sessions (``generate``): yields the
    database, the instance folder, the production environment, the tokens and the sessions."""
    with fresh_database(args.database_url, keep=args.keep, prefix=prefix) as db, instance_dir() as instance:
        env = production_env(db, instance)
        for setup in (["db", "upgrade"], ["demo"]):
            print(f"lms {' '.join(setup)}: {run_lms(setup, env, timeout=timeout).check().seconds:.1f} s")
        start = time.perf_counter()
        tokens, sessions = generate(db.url, args.participants, args.seats, args.sessions)
        print(f"generated {args.participants:,} participants with tokens and {args.sessions} sessions "
              f"({args.seats:,} seats) in {time.perf_counter() - start:.1f} s (SQL)")
        yield db, instance, env, tokens, sessions


def main() -> None:
    args = parse_args()
    failed: list[str] = []
    with rush_world(args, "lms_bench_ukppg", timeout=args.timeout) as (db, instance, env, tokens, sessions):
        server = Server(env, args.workers, instance / "gunicorn.log")
        try:
            print(f"gunicorn -w {args.workers} on {server.url}: healthy after {server.wait_healthy():.1f} s")
            plans, order = plan(args.participants, sessions, args.popular, random.Random(args.seed))
            rush = Rush(server.url, tokens, plans, order)
            workers = server.worker_pids()
            load_before = os.getloadavg()[0]
            gunicorn_before, client_before = cpu_seconds(workers), time.process_time()
            sampler = StatementSampler(db.url)
            sampler.start()
            wall = rush.run(args.concurrency)
            statements = sampler.stop()
            backends = backend_pids(db.url)
            cpu = Cpu(time.process_time() - client_before, cpu_seconds(workers) - gunicorn_before,
                      cpu_seconds(backends), load_before, os.getloadavg()[0])
        finally:
            server.stop()
        report_rush(args, rush, wall, cpu)
        print_slow_statements(statements)
        failed = verify(db.url, args, rush)
        errors = [line for line in server.log.read_text(encoding="utf-8", errors="replace").splitlines()
                  if "Traceback" in line or "ERROR" in line or "CRITICAL" in line]
        print(f"\ngunicorn log: {len(errors)} error lines")
        for line in errors[:10]:
            print(f"  {line}")
    if failed:
        raise SystemExit(f"FAILED: {'; '.join(failed)}")


if __name__ == "__main__":
    main()
