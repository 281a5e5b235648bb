"""Data for the fault tests, made in SQL (generate_series): one cohort closing an hour after ``T0``, N participants
waiting (``menunggu``), every second one complete."""

from __future__ import annotations

import ast
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg  # noqa: F401 - also used by the fault tests through this module
import sqlalchemy as sa

T0 = datetime(2026, 11, 20, 3, tzinfo=UTC)
COHORT = """
INSERT INTO cohorts (code, name, programme_year, timezone, learning_opens_at, learning_closes_at,
                     registration_opens_at, registration_closes_at)
VALUES ('FAULT', 'Angkatan Uji Gangguan', 2026, 'Asia/Jakarta', %(opens)s, %(closes)s, %(opens)s, %(closes)s)
"""
USERS = """
INSERT INTO users (email, name, created_at, active)
SELECT format('fault.%%s@guru.sd.belajar.id', lpad(g::text, 6, '0')), 'Peserta ' || g, %(now)s, true
FROM generate_series(1, %(n)s) AS g
"""
ENROLLMENTS = """
INSERT INTO enrollments (user_id, cohort_id, programme_year, status, kode_kabkota, completed_at, created_at)
SELECT u.id, c.id, 2026, 'menunggu', '3171', CASE WHEN u.id %% 2 = 0 THEN %(opens)s END, %(now)s
FROM users u CROSS JOIN cohorts c WHERE c.code = 'FAULT' AND u.email LIKE 'fault.%%'
"""


def libpq(url: str) -> str:
    return sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def load(url: str, n: int) -> int:
    """N participants; returns how many reminders are due at T0 (the incomplete ones, H-1)."""
    params = {"n": n, "now": T0 - timedelta(days=30), "opens": T0 - timedelta(days=10),
              "closes": T0 + timedelta(hours=1)}
    with psycopg.connect(libpq(url)) as conn:
        conn.execute(COHORT, params)
        conn.execute(USERS, params)
        conn.execute(ENROLLMENTS, params)
        conn.execute("ANALYZE")
    return n - n // 2


def scalar(url: str, sql: str, params: dict | None = None):
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        return conn.execute(sql, params or {}).fetchone()[0]


def statuses(url: str) -> dict[str, int]:
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        return dict(conn.execute("SELECT status, count(*) FROM enrollments GROUP BY status").fetchall())


def enforcement_totals(*logs: Path) -> dict[str, int]:
    """The sum of what every committed enforcement pass reports in the workers' JSON logs."""
    totals: dict[str, int] = {}
    for log in logs:
        for line in log.read_text().splitlines():
            if not line.startswith("{"):
                continue
            message = json.loads(line).get("message", "")
            if message.startswith("windows enforced: "):
                for key, value in ast.literal_eval(message.removeprefix("windows enforced: ")).items():
                    totals[key] = totals.get(key, 0) + value
    return totals


def blocked_backends(url: str, application_prefix: str = "worker") -> list[tuple[int, str]]:
    """(pid, application name) of the sessions of ``application_prefix*`` waiting on a lock."""
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        return conn.execute("SELECT pid, application_name FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                            "AND application_name LIKE %s", (f"{application_prefix}%",)).fetchall()


def backend_gone(url: str, pid: int) -> bool:
    return scalar(url, "SELECT count(*) FROM pg_stat_activity WHERE pid = %(pid)s", {"pid": pid}) == 0


def token_for(url: str, email: str, token: str) -> None:
    """An account with a bearer token (``token`` must start with the API token prefix)."""
    with psycopg.connect(libpq(url)) as conn:
        user_id = conn.execute("INSERT INTO users (email, name, created_at, active) VALUES (%s, %s, %s, true) "
                               "RETURNING id", (email, email, T0)).fetchone()[0]
        conn.execute("INSERT INTO api_tokens (user_id, token_hash, prefix, created_at, expires_at) "
                     "VALUES (%s, %s, %s, %s, %s)", (user_id, hashlib.sha256(token.encode()).hexdigest(),
                                                     token[:12], T0, T0 + timedelta(days=365)))


def pending_outbox(url: str, count: int) -> None:
    with psycopg.connect(libpq(url)) as conn:
        conn.execute("INSERT INTO outbox_messages (kind, to_email, params, created_at, attempts) "
                     "SELECT 'notice', format('o%%s@guru.sd.belajar.id', g), '{}', %s, 0 "
                     "FROM generate_series(1, %s) AS g", (T0, count))
