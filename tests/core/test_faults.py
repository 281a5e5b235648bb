"""Fault tests with real processes (PostgreSQL, a private Redis): workers killed mid-pass, SIGTERM, two beats,
downtime while the clock moves. ``LMS_FAULT_ENROLLMENTS`` sets the size of the kill test (default 5000; the
issue's 50 000: ``LMS_FAULT_ENROLLMENTS=50000``)."""

from __future__ import annotations

import os
import signal

import psycopg
import pytest

from tests.conftest import postgres_available
from tests.core import faults_data as data
from tests.core.cluster import Cluster, RedisServer, fresh_database, wait_for

ENROLLMENTS = int(os.environ.get("LMS_FAULT_ENROLLMENTS", "5000"))
pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def world(tmp_path):
    """A migrated database of its own on the PostgreSQL server, and a private Redis."""
    postgres_available()
    url, drop = fresh_database()
    server = RedisServer(tmp_path / "redis")
    server.start()
    clusters: list[Cluster] = []

    def cluster(**extra: str) -> Cluster:
        made = Cluster(tmp_path, url, server.url, **extra)
        clusters.append(made)
        return made

    try:
        yield url, server, cluster
    finally:
        for made in clusters:
            made.stop_all()
        if server.proc and server.proc.poll() is None:
            server.kill()
        drop()


def lock_row(url: str, sql: str, params: dict) -> psycopg.Connection:
    """Hold a row lock (or a conflicting uncommitted row) in an open transaction, so a pass blocks mid-statement."""
    conn = psycopg.connect(data.libpq(url))
    conn.execute(sql, params)
    return conn


def blocked(url: str):
    return wait_for(lambda: data.blocked_backends(url), "a pass blocked mid-statement")


def test_worker_killed_mid_pass_then_restarted(world):
    url, _redis, cluster = world
    c = cluster()
    c.run("db", "upgrade")
    due = data.load(url, ENROLLMENTS)
    middle = data.scalar(url, "SELECT id FROM enrollments ORDER BY id OFFSET %(o)s LIMIT 1", {"o": ENROLLMENTS // 2})
    c.set_clock(data.T0)
    c.worker("worker-a")

    # 1. Enforcement: the pass has moved part of the rows (uncommitted) when the worker is killed.
    holder = lock_row(url, "SELECT id FROM enrollments WHERE id = %(id)s FOR UPDATE", {"id": middle})
    c.send("cohorts.enforce_windows")
    [(backend, _name)] = blocked(url)
    c.kill("worker-a")  # kill -9, with its pool
    holder.close()
    wait_for(lambda: data.backend_gone(url, backend), "the killed pass's session to end")
    assert data.statuses(url) == {"menunggu": ENROLLMENTS}  # nothing half-done

    # 2. Restarted; this time SIGTERM arrives while the pass runs: the worker finishes it, then stops.
    c.worker("worker-a")
    holder = lock_row(url, "SELECT id FROM enrollments WHERE id = %(id)s FOR UPDATE", {"id": middle})
    c.send("cohorts.enforce_windows")
    blocked(url)
    proc = c.procs["worker-a"]
    proc.send_signal(signal.SIGTERM)  # to the worker, as systemd or Kubernetes do; its pool finishes the task
    holder.close()
    assert proc.wait(timeout=60) == 0
    c.procs.pop("worker-a").log_handle.close()
    assert data.statuses(url) == {"aktif": ENROLLMENTS}

    # 3. Reminders: a pass blocked on one participant's claim when its worker is killed.
    c.worker("worker-a")
    c.worker("worker-b")
    holder = lock_row(url, "INSERT INTO reminders (enrollment_id, milestone, claimed_at, run_id, skipped) "
                           "VALUES (%(id)s, 'H-1', now(), 'holder', false)",
                      {"id": data.scalar(url, "SELECT min(id) FROM enrollments WHERE completed_at IS NULL")})
    c.send("cohorts.send_reminders")
    [(backend, name)] = blocked(url)
    c.kill(name)
    holder.close()
    wait_for(lambda: data.backend_gone(url, backend), "the killed pass's session to end")
    assert data.scalar(url, "SELECT count(*) FROM reminders") == 0
    assert data.scalar(url, "SELECT count(*) FROM outbox_messages") == 0

    # Restarted; the next ticks of the beat (two, one per worker) and a pass from the command line.
    c.worker(name)
    before = successes(c, "cohorts.send_reminders"), successes(c, "cohorts.enforce_windows")
    for task in ("cohorts.send_reminders", "cohorts.send_reminders", "cohorts.enforce_windows",
                 "cohorts.enforce_windows"):
        c.send(task)
    wait_for(lambda: (successes(c, "cohorts.send_reminders"), successes(c, "cohorts.enforce_windows"))
             == (before[0] + 2, before[1] + 2), "the next ticks")
    c.run("reminders", "send", "--now", data.T0.isoformat())
    c.run("windows", "enforce", "--now", data.T0.isoformat())

    # Every transition once: the passes that committed activated exactly N; every due reminder once.
    assert data.enforcement_totals(c.log("worker-a"), c.log("worker-b"))["activated"] == ENROLLMENTS
    assert data.statuses(url) == {"aktif": ENROLLMENTS}
    assert data.scalar(url, "SELECT count(*) FROM reminders WHERE NOT skipped") == due
    assert data.scalar(url, "SELECT count(*) FROM reminders") == 3 * due  # H-7, H-3 recorded as skipped
    assert data.scalar(url, "SELECT count(*) FROM outbox_messages") == due
    assert data.scalar(url, "SELECT count(DISTINCT enrollment_id) FROM outbox_messages") == due


def successes(c: Cluster, task: str) -> int:
    """How many runs of ``task`` the workers logged as succeeded."""
    return sum(line.count(f"Task {task}[") for name in ("worker-a", "worker-b") if c.log(name).exists()
               for line in c.log(name).read_text().splitlines() if "succeeded in" in line)
