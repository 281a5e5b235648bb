"""Under a registration rush: 200 parallel attempts through the HTTP API compete for 50 seats (PostgreSQL)."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime

import pytest
import requests
from sqlalchemy import func, insert, select

from lms.auth.models import ApiToken, User
from lms.auth.services import TOKEN_PREFIX, hash_token
from lms.cohorts.models import Enrollment
from lms.extensions import db
from lms.ukppg.models import ExamSession, Registration
from tests.ukppg.helpers import make_sessions

PARTICIPANTS = 160
DOUBLE_CLICKERS = 40  # these send two requests at once: 200 attempts in all
SEATS = 50


def bulk_participants(app, learning, count: int) -> list[str]:
    """Participants who completed everything, each with a bearer token (set-based inserts)."""
    cohort_id = learning.cohort()
    now = datetime(2026, 11, 20, tzinfo=UTC)
    tokens = [f"{TOKEN_PREFIX}rush-{i:04d}-{'x' * 30}" for i in range(count)]
    with app.app_context():
        emails = [f"rush{i:04d}@guru.sd.belajar.id" for i in range(count)]
        db.session.execute(insert(User), [{"email": e, "name": e, "created_at": now, "active": True} for e in emails])
        ids = dict(db.session.execute(select(User.email, User.id).where(User.email.in_(emails))).all())
        db.session.execute(insert(Enrollment), [
            {"user_id": ids[e], "cohort_id": cohort_id, "programme_year": 2026, "status": "aktif",
             "kode_kabkota": "7371", "completed_at": now, "created_at": now} for e in emails])
        db.session.execute(insert(ApiToken), [
            {"user_id": ids[e], "token_hash": hash_token(t), "prefix": t[:12], "created_at": now,
             "expires_at": datetime(2030, 1, 1, tzinfo=UTC)} for e, t in zip(emails, tokens, strict=True)])
        db.session.commit()
    return tokens


@pytest.mark.postgres
@pytest.mark.slow
def test_200_parallel_attempts_for_50_seats(pg_live_server, pg_learning, frozen_clock):
    frozen_clock(datetime(2026, 11, 20, 3, tzinfo=UTC))
    app = pg_live_server.app
    tokens = bulk_participants(app, pg_learning, PARTICIPANTS)
    [session_id] = make_sessions(app, ("TUK Rebutan", "7371", SEATS))
    attempts = tokens + tokens[:DOUBLE_CLICKERS]
    barrier = threading.Barrier(len(attempts))
    results: list[tuple[str, int, str]] = []
    lock = threading.Lock()

    def attempt(token: str) -> None:
        with requests.Session() as http:
            barrier.wait()
            response = http.post(f"{pg_live_server.url}/api/v1/ukppg/registrations", timeout=120,
                                 headers={"Authorization": f"Bearer {token}"}, json={"session_id": session_id})
            code = response.json().get("code", "") if response.status_code != 201 else "created"
            with lock:
                results.append((token, response.status_code, code))

    threads = [threading.Thread(target=attempt, args=(t,)) for t in attempts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(results) == 200
    outcomes = Counter((status, code) for _, status, code in results)
    assert outcomes[(201, "created")] == SEATS, outcomes
    assert set(outcomes) <= {(201, "created"), (409, "seat_full"), (409, "already_registered")}, outcomes
    winners = [token for token, status, _ in results if status == 201]
    assert len(set(winners)) == SEATS  # nobody won twice
    with app.app_context():
        assert db.session.get(ExamSession, session_id).seats_taken == SEATS
        assert db.session.scalar(select(func.count(Registration.id))) == SEATS
        per_participant = db.session.execute(select(Registration.enrollment_id, func.count())
                                             .group_by(Registration.enrollment_id)).all()
        assert all(count == 1 for _, count in per_participant)
        numbers = db.session.scalars(select(Registration.number)).all()
        assert len(set(numbers)) == SEATS and all(n.startswith("UKPPPG-2026-") for n in numbers)
