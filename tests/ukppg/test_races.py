"""Concurrent cancels and changes of one registration through the HTTP API (PostgreSQL): a seat goes back once."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime

import pytest
import requests
from sqlalchemy import func, select

from lms.cohorts.models import Enrollment
from lms.extensions import db
from lms.ukppg import services
from lms.ukppg.models import ExamSession, Registration
from tests.learning import DURING
from tests.ukppg.helpers import complete, make_sessions

pytestmark = pytest.mark.postgres

GURU = "guru.satu@guru.sd.belajar.id"
OTHER = "guru.dua@guru.sd.belajar.id"
REQUESTS = 20


def concurrently(url: str, method: str, headers: dict, bodies: list[dict | None]) -> list[tuple[int, str]]:
    """Send one request per body at the same moment; returns (status, code) per request."""
    barrier = threading.Barrier(len(bodies))
    results: list[tuple[int, str]] = []
    lock = threading.Lock()

    def send(body):
        with requests.Session() as http:
            barrier.wait()
            response = http.request(method, url, headers=headers, json=body, timeout=120)
            code = response.json().get("code", "ok") if response.status_code >= 400 else "ok"
            with lock:
                results.append((response.status_code, code))

    threads = [threading.Thread(target=send, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def assert_counters_match(app) -> dict[int, int]:
    """Every session's counter equals its active registrations and stays within its seats."""
    with app.app_context():
        active = dict(db.session.execute(select(Registration.session_id, func.count())
                                         .where(Registration.cancelled_at.is_(None))
                                         .group_by(Registration.session_id)).all())
        for session in db.session.scalars(select(ExamSession)):
            assert session.seats_taken == active.get(session.id, 0), (session.id, session.seats_taken, active)
            assert session.seats_taken <= session.seats
        return active


@pytest.fixture
def two_registered(pg_live_server, pg_learning, frozen_clock):
    """GURU and OTHER both registered on the first of four sessions (3 seats each)."""
    frozen_clock(DURING)
    app = pg_live_server.app
    cohort_id = pg_learning.cohort()
    ids = [pg_learning.participant(email, cohort_id=cohort_id, kode_kabkota="7371") for email in (GURU, OTHER)]
    complete(app, *ids)
    sessions = make_sessions(app, *[(f"TUK {i}", "7371", 3) for i in range(4)])
    headers = {email: pg_learning.headers(email) for email in (GURU, OTHER)}
    for email in (GURU, OTHER):
        response = requests.post(f"{pg_live_server.url}/api/v1/ukppg/registrations", headers=headers[email],
                                 json={"session_id": sessions[0]}, timeout=30)
        assert response.status_code == 201
    return {"app": app, "url": pg_live_server.url, "sessions": sessions, "headers": headers, "enrollment": ids[0]}


def test_concurrent_cancels_give_the_seat_back_once(two_registered):
    ctx = two_registered
    results = concurrently(f"{ctx['url']}/api/v1/ukppg/registrations/me", "DELETE", ctx["headers"][GURU],
                           [None] * REQUESTS)
    outcomes = Counter(results)
    assert outcomes == {(200, "ok"): 1, (404, "not_registered"): REQUESTS - 1}, outcomes
    active = assert_counters_match(ctx["app"])
    assert active == {ctx["sessions"][0]: 1}  # OTHER still holds a seat, and it is still counted
    with ctx["app"].app_context():
        assert db.session.get(ExamSession, ctx["sessions"][0]).seats_left == 2


def test_concurrent_changes_keep_every_counter_equal_to_its_registrations(two_registered):
    ctx = two_registered
    targets = ctx["sessions"][1:] + ctx["sessions"][:1]
    bodies = [{"session_id": targets[i % len(targets)]} for i in range(REQUESTS)]
    results = concurrently(f"{ctx['url']}/api/v1/ukppg/registrations/me", "PUT", ctx["headers"][GURU], bodies)
    assert set(results) <= {(200, "ok"), (409, "seat_full")}, Counter(results)
    assert (200, "ok") in results
    active = assert_counters_match(ctx["app"])
    assert sum(active.values()) == 2  # GURU and OTHER, one registration each
    with ctx["app"].app_context():
        assert db.session.scalar(select(func.count()).select_from(Registration)
                                 .where(Registration.enrollment_id == ctx["enrollment"],
                                        Registration.cancelled_at.is_(None))) == 1


def test_concurrent_changes_and_cancels(two_registered):
    """Moves racing cancels: whoever wins, the seat held at the moment of the cancel is the one given back."""
    ctx = two_registered
    url, headers = f"{ctx['url']}/api/v1/ukppg/registrations/me", ctx["headers"][GURU]
    barrier = threading.Barrier(REQUESTS)
    results: list[tuple[str, int]] = []

    def send(i):
        with requests.Session() as http:
            barrier.wait()
            if i % 4 == 0:
                response = http.delete(url, headers=headers, timeout=120)
                results.append(("cancel", response.status_code))
            else:
                response = http.put(url, headers=headers, json={"session_id": ctx["sessions"][i % 4]}, timeout=120)
                results.append(("change", response.status_code))

    threads = [threading.Thread(target=send, args=(i,)) for i in range(REQUESTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Counter(results)[("cancel", 200)] == 1, Counter(results)
    assert {status for _, status in results} <= {200, 404}
    assert assert_counters_match(ctx["app"]) == {ctx["sessions"][0]: 1}


def test_two_cancels_that_both_read_the_registration_first(two_registered, monkeypatch):
    """Both requests read the active registration before either writes: one cancels, the other is refused."""
    ctx = two_registered
    app = ctx["app"]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    now = datetime(2026, 11, 20, 4, tzinfo=UTC)
    read = services.active_registration

    def read_then_wait(enrollment):
        registration = read(enrollment)
        barrier.wait(timeout=30)
        return registration

    monkeypatch.setattr(services, "active_registration", read_then_wait)

    def cancel():
        with app.app_context():
            enrollment = db.session.get(Enrollment, ctx["enrollment"])
            try:
                services.cancel(enrollment, now=now)
                db.session.commit()
                outcomes.append("cancelled")
            except services.NotRegistered:
                db.session.rollback()
                outcomes.append("not_registered")

    threads = [threading.Thread(target=cancel) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["cancelled", "not_registered"]
    assert assert_counters_match(app) == {ctx["sessions"][0]: 1}
