"""Agents re-pointing the same participant at the same moment, over HTTP (PostgreSQL): exactly one move happens."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
import requests
from sqlalchemy import func, select
from werkzeug.serving import make_server

from lms.cohorts.models import Enrollment
from lms.cohorts.roster_models import RosterEntry
from lms.extensions import db
from lms.helpdesk import repoint
from lms.notifications.models import OutboxMessage
from tests.helpdesk.helpers import audits, grant, uid
from tests.helpdesk.repoint_helpers import finished_participant

AGENTS = 4


@pytest.mark.postgres
@pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_concurrent_repoints_of_one_enrollment_exactly_one_succeeds(backend, desk, learning, during, monkeypatch):
    p = finished_participant(desk, learning)
    app = desk.app
    agents, targets, fingerprints = [], [], []
    for i in range(AGENTS):
        email = f"bantuan.{i}@belajar.id"
        grant(app, email, "helpdesk")
        agents.append(learning.headers(email))
        targets.append(f"tujuan.{i}@guru.sd.belajar.id")
        shown = desk.client.get(f"/api/v1/tickets/{p.ticket_id}/repoint", headers=agents[i],
                                query_string={"entry_id": p.entry_id, "email": targets[i]})
        assert shown.status_code == 200, shown.get_json()
        fingerprints.append(shown.get_json()["preview"]["fingerprint"])

    # Every request is inside the service before any of them goes on: they all start from the same state.
    barrier = threading.Barrier(AGENTS, timeout=30)
    original = repoint.repoint_email

    def together(*args, **kwargs):
        barrier.wait()
        return original(*args, **kwargs)

    monkeypatch.setattr(repoint, "repoint_email", together)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    results: dict[int, tuple[int, str]] = {}

    def attempt(i: int) -> None:
        response = requests.post(f"http://127.0.0.1:{server.port}/api/v1/tickets/{p.ticket_id}/repoint",
                                 headers=agents[i], timeout=60,
                                 json={"entry_id": p.entry_id, "email": targets[i], "confirm": True,
                                       "fingerprint": fingerprints[i]})
        results[i] = (response.status_code, response.json().get("code", "moved"))

    try:
        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(AGENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=90)
    finally:
        server.shutdown()
        thread.join(timeout=10)

    outcomes = Counter(results.values())
    assert outcomes == Counter({(200, "moved"): 1, (409, "preview_outdated"): AGENTS - 1}), results
    [winner] = [i for i, (status, _) in results.items() if status == 200]
    with app.app_context():
        assert db.session.get(RosterEntry, p.entry_id).email == targets[winner]
        assert db.session.get(Enrollment, p.enrollment_id).user_id == uid(app, targets[winner])
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == 2
    [event] = audits(app, "roster.repoint")
    assert event.data["new"] == targets[winner] and event.data["old"] == p.old
