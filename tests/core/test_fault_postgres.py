"""Fault test with real processes on a PostgreSQL of its own: restarted during a registration rush through two web
instances; then a web instance stopped by SIGTERM while a request is in flight."""

from __future__ import annotations

import signal
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from lms import create_app
from lms.extensions import db
from tests.conftest import SECRET, migrate_database
from tests.core import faults_data as data
from tests.core.cluster import PG_BIN, Cluster, PostgresServer, RedisServer, wait_for
from tests.learning import Learning
from tests.ukppg.helpers import make_sessions
from tests.ukppg.test_contention import bulk_participants

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]
PARTICIPANTS, SEATS = 90, 60
COUNTS = """
SELECT json_build_object(
  'taken', (SELECT seats_taken FROM exam_sessions WHERE id = %(s)s),
  'active', (SELECT count(*) FROM ukppg_registrations WHERE session_id = %(s)s AND cancelled_at IS NULL),
  'doubled', (SELECT count(*) FROM (SELECT enrollment_id FROM ukppg_registrations WHERE cancelled_at IS NULL
                                    GROUP BY enrollment_id HAVING count(*) > 1) AS d))
"""


@pytest.fixture
def own_postgres(tmp_path):
    if PG_BIN is None:
        pytest.skip("PostgreSQL server programs not installed")
    server = PostgresServer()
    server.start()
    redis_server = RedisServer(tmp_path / "redis")
    redis_server.start()
    clusters = []
    try:
        yield server, redis_server, clusters
    finally:
        for c in clusters:
            c.stop_all()
        redis_server.kill()
        server.close()


def prepare(url: str) -> tuple[list[str], int, int]:
    migrate_database(url)
    app = create_app({"TESTING": True}, env={"LMS_DATABASE_URL": url, "LMS_SECRET_KEY": SECRET})
    tokens = bulk_participants(app, Learning(app), PARTICIPANTS + 1)
    rush, spare = make_sessions(app, ("TUK Gangguan", "7371", SEATS), ("TUK Cadangan", "7371", 5))
    with app.app_context():
        db.engine.dispose()
    return tokens, rush, spare


def register(url: str, token: str, session_id: int) -> tuple[int, str, str | None]:
    response = requests.post(f"{url}/api/v1/ukppg/registrations", json={"session_id": session_id}, timeout=60,
                             headers={"Authorization": f"Bearer {token}"})
    return response.status_code, response.json().get("code", "created"), response.headers.get("Retry-After")


def test_postgres_restarted_during_a_registration_rush(own_postgres, tmp_path):
    pg, redis_server, clusters = own_postgres
    url = pg.url.rsplit("/", 1)[0] + "/postgres"
    tokens, rush, spare = prepare(url)
    c = Cluster(tmp_path, url, redis_server.url)
    clusters.append(c)
    c.set_clock(data.T0)
    webs = c.web("web-1", "web-2")
    pids = [c.procs["web-1"].pid, c.procs["web-2"].pid]
    attempts = tokens[:PARTICIPANTS]
    thirds = [attempts[i::3] for i in range(3)]

    def wave(batch: list[str]) -> list[tuple[str, tuple]]:
        with ThreadPoolExecutor(12) as pool:
            return list(zip(batch, pool.map(lambda it: register(webs[it[0] % 2], it[1], rush), enumerate(batch)),
                            strict=True))

    results = wave(thirds[0])
    pg.stop()  # the database goes away in the middle of the rush
    down = wave(thirds[1])
    pg.start()
    results += wave(thirds[2])
    # Clients that were told to retry do so (after Retry-After, which the test need not wait out).
    retried = wave([token for token, _ in down])
    assert {outcome[:2] for _, outcome in down} == {(503, "database_unavailable")}
    assert {outcome[2] for _, outcome in down} == {"30"}
    outcomes = {outcome[:2] for _, outcome in results + retried}
    assert outcomes <= {(201, "created"), (409, "seat_full")}, outcomes  # no 500, no half-made registration
    winners = [token for token, outcome in results + retried if outcome[0] == 201]
    assert len(winners) == len(set(winners)) == SEATS

    counts = data.scalar(url, COUNTS, {"s": rush})
    assert counts == {"taken": SEATS, "active": SEATS, "doubled": 0}
    for web in webs:  # reconnected without a restart
        assert requests.get(f"{web}/readyz", timeout=10).status_code == 200
    assert [c.procs["web-1"].pid, c.procs["web-2"].pid] == pids

    # Graceful stop: SIGTERM while a request waits on a row lock; the request completes, then gunicorn exits.
    holder = data.psycopg.connect(data.libpq(url))
    holder.execute("SELECT id FROM exam_sessions WHERE id = %s FOR UPDATE", (spare,))
    in_flight: list = []
    request = threading.Thread(target=lambda: in_flight.append(register(webs[0], tokens[-1], spare)))
    request.start()
    wait_for(lambda: data.blocked_backends(url, "web-1"), "the request to wait on the lock")
    proc = c.procs["web-1"]
    proc.send_signal(signal.SIGTERM)
    wait_for(lambda: "Handling signal: term" in c.log("web-1").read_text(), "gunicorn to take the signal")
    holder.close()
    request.join(timeout=60)
    assert in_flight and in_flight[0][:2] == (201, "created")
    assert proc.wait(timeout=60) == 0
    c.procs.pop("web-1").log_handle.close()
