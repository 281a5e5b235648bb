"""Fault tests with real processes (PostgreSQL, a private Redis): workers killed mid-pass, SIGTERM, two beats,
downtime while the clock moves. ``LMS_FAULT_ENROLLMENTS`` sets the size of the kill test (default 5000; the
issue's 50 000: ``LMS_FAULT_ENROLLMENTS=50000``)."""

from __future__ import annotations

import os
import signal
from datetime import timedelta

import psycopg
import pytest

from tests.conftest import migrate_database, postgres_available
from tests.core import faults_data as data
from tests.core.cluster import Cluster, RedisServer, SmtpSink, fresh_database, wait_for

ENROLLMENTS = int(os.environ.get("LMS_FAULT_ENROLLMENTS", "5000"))
#: Seconds to wait for whole passes over ENROLLMENTS rows (a loaded machine, the full size).
PASS_TIMEOUT = 60 + ENROLLMENTS / 250
pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def world(tmp_path):
    """A migrated database of its own on the PostgreSQL server, and a private Redis."""
    postgres_available()
    url, drop = fresh_database()
    migrate_database(url)
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
    due = data.load(url, ENROLLMENTS)
    middle = data.scalar(url, "SELECT id FROM enrollments ORDER BY id OFFSET %(o)s LIMIT 1", {"o": ENROLLMENTS // 2})
    c.set_clock(data.T0)
    c.worker("worker-a", "worker-b")

    # 1. Enforcement: the pass has moved part of the rows (uncommitted) when its worker is killed.
    holder = lock_row(url, "SELECT id FROM enrollments WHERE id = %(id)s FOR UPDATE", {"id": middle})
    c.send("cohorts.enforce_windows")
    [(backend, name)] = blocked(url)
    c.kill(name)  # kill -9, with its pool
    holder.close()
    wait_for(lambda: data.backend_gone(url, backend), "the killed pass's session to end", timeout=PASS_TIMEOUT)
    assert data.statuses(url) == {"menunggu": ENROLLMENTS}  # nothing half-done
    c.worker(name, wait=False)  # restarted

    # 2. This time SIGTERM arrives while the pass runs: the worker finishes the pass, then stops.
    holder = lock_row(url, "SELECT id FROM enrollments WHERE id = %(id)s FOR UPDATE", {"id": middle})
    c.send("cohorts.enforce_windows")
    [(_backend, name)] = blocked(url)
    c.procs[name].send_signal(signal.SIGTERM)  # to the worker, as systemd or Kubernetes do
    holder.close()
    assert c.procs[name].wait(timeout=PASS_TIMEOUT) == 0
    c.procs.pop(name).log_handle.close()
    assert data.statuses(url) == {"aktif": ENROLLMENTS}
    c.worker(name, wait=False)

    # 3. Reminders: a pass blocked on one participant's claim when its worker is killed.
    holder = lock_row(url, "INSERT INTO reminders (enrollment_id, milestone, claimed_at, run_id, skipped) "
                           "VALUES (%(id)s, 'H-1', now(), 'holder', false)",
                      {"id": data.scalar(url, "SELECT min(id) FROM enrollments WHERE completed_at IS NULL")})
    c.send("cohorts.send_reminders")
    [(backend, name)] = blocked(url)
    c.kill(name)
    holder.close()
    wait_for(lambda: data.backend_gone(url, backend), "the killed pass's session to end", timeout=PASS_TIMEOUT)
    assert data.scalar(url, "SELECT count(*) FROM reminders") == 0
    assert data.scalar(url, "SELECT count(*) FROM outbox_messages") == 0

    # Restarted; the next ticks of the beat, two of each.
    c.worker(name)
    before = successes(c, "cohorts.send_reminders"), successes(c, "cohorts.enforce_windows")
    for task in ("cohorts.send_reminders", "cohorts.send_reminders", "cohorts.enforce_windows",
                 "cohorts.enforce_windows"):
        c.send(task)
    wait_for(lambda: (successes(c, "cohorts.send_reminders"), successes(c, "cohorts.enforce_windows"))
             == (before[0] + 2, before[1] + 2), "the next ticks", timeout=PASS_TIMEOUT)

    # Every transition once: the passes that committed activated exactly N; every due reminder once.
    assert data.enforcement_totals(c.log("worker-a"), c.log("worker-b"))["activated"] == ENROLLMENTS
    assert data.statuses(url) == {"aktif": ENROLLMENTS}
    assert data.scalar(url, "SELECT count(*) FROM reminders WHERE NOT skipped") == due
    assert data.scalar(url, "SELECT count(*) FROM reminders") == 3 * due  # H-7, H-3 recorded as skipped
    assert data.scalar(url, "SELECT count(*) FROM outbox_messages") == due
    assert data.scalar(url, "SELECT count(DISTINCT enrollment_id) FROM outbox_messages") == due
    print(f"\n{ENROLLMENTS} enrollments; committed passes (s): "  # shown with -s: the numbers of a large run
          f"enforce {pass_seconds(c, 'cohorts.enforce_windows')}, remind {pass_seconds(c, 'cohorts.send_reminders')}")


def pass_seconds(c: Cluster, task: str) -> list[float]:
    """How long each committed run of ``task`` took, from the workers' logs."""
    found = []
    for name in ("worker-a", "worker-b"):
        for line in c.log(name).read_text().splitlines():
            if f"Task {task}[" in line and "succeeded in" in line:
                found.append(round(float(line.split("succeeded in ")[1].split("s:")[0]), 2))
    return found


def successes(c: Cluster, task: str) -> int:
    """How many runs of ``task`` the workers logged as succeeded."""
    return sum(line.count(f"Task {task}[") for name in ("worker-a", "worker-b") if c.log(name).exists()
               for line in c.log(name).read_text().splitlines() if "succeeded in" in line)


BEAT_TASKS = {"cohorts-enforce-windows": "cohorts.enforce_windows", "cohorts-send-reminders": "cohorts.send_reminders",
              "notifications-deliver-outbox": "notifications.deliver_outbox"}


def beat_sends(c: Cluster, entry: str, *beats: str) -> int:
    return sum(c.log(b).read_text().count(f"Sending due task {entry} ") for b in beats)


def start_all(c: Cluster) -> None:
    c.beat("beat-1", "beat-2")  # the second one started by mistake: it must change nothing
    c.worker("worker-a", "worker-b")


def drain(c: Cluster) -> None:
    """Stop the beats, then wait until the workers have run every task the beats sent."""
    for name in ("beat-1", "beat-2"):
        c.kill(name, signal.SIGTERM)
    wait_for(lambda: all(successes(c, task) >= beat_sends(c, entry, "beat-1", "beat-2")
                         for entry, task in BEAT_TASKS.items()), "the workers to run every task sent",
             timeout=PASS_TIMEOUT)


def test_two_beats_and_downtime(world):
    url, _redis, cluster = world
    sink = SmtpSink()
    c = cluster(LMS_MAIL_SERVER="127.0.0.1", LMS_MAIL_PORT=str(sink.port), LMS_MAIL_USE_TLS="0",
                LMS_BEAT_INTERVAL_SCALE="0.01")
    n = 200
    due = data.load(url, n)
    c.set_clock(data.T0)
    start_all(c)
    # Both beats tick several times (every task of the schedule, about every 0.6 s; reminders every 3 s).
    wait_for(lambda: len(sink.recipients()) == due and all(
        beat_sends(c, "cohorts-send-reminders", b) >= 2 for b in ("beat-1", "beat-2")), "two beats at work")

    # Downtime: the workers stop while the clock moves two hours, past the window's end; the beats keep sending.
    for name in ("worker-a", "worker-b"):
        c.kill(name, signal.SIGTERM)
    c.set_clock(data.T0 + timedelta(hours=2))
    sent_before = {entry: beat_sends(c, entry, "beat-1", "beat-2") for entry in BEAT_TASKS}
    wait_for(lambda: beat_sends(c, "cohorts-enforce-windows", "beat-1", "beat-2")
             >= sent_before["cohorts-enforce-windows"] + 4, "a backlog of passes")
    c.worker("worker-a", "worker-b")
    wait_for(lambda: data.statuses(url) == {"tuntas": n // 2, "tidak_tuntas": n - n // 2}, "the catch-up")
    wait_for(lambda: all(beat_sends(c, entry, "beat-1", "beat-2") >= sent_before[entry] + 2
                         for entry in BEAT_TASKS), "more ticks after the catch-up")
    drain(c)

    recipients = sink.recipients()
    assert len(recipients) == due and set(recipients.values()) == {1}  # every reminder delivered once
    totals = data.enforcement_totals(c.log("worker-a"), c.log("worker-b"))
    assert totals["activated"] == n  # each transition once, whichever beat sent the pass
    assert (totals["completed"], totals["not_completed"]) == (n // 2, n - n // 2)
    assert totals["reopened"] == 0
    assert data.scalar(url, "SELECT count(*) FROM outbox_messages") == due
    assert data.scalar(url, "SELECT count(*) FROM outbox_messages WHERE sent_at IS NULL") == 0
    assert data.scalar(url, "SELECT count(*) FROM reminders WHERE NOT skipped") == due
    sink.shutdown()
    sink.server_close()
