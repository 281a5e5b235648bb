"""A double tap on Cek NIK for one's own roster entry (PostgreSQL): both requests link the account, one
enrollment is made, and neither answers with an error. A barrier inside the linking holds both requests until
each has looked for the enrollment, so the race happens every time."""

from __future__ import annotations

import threading
from functools import wraps

import pytest
import requests
from sqlalchemy import delete, func, select

from bench.datagen import rows
from lms.access import services
from lms.auth.models import User
from lms.cohorts.models import Enrollment
from lms.extensions import db
from tests.learning import DURING, import_roster

TAPS = 2


@pytest.mark.postgres
def test_concurrent_own_checks_make_one_enrollment(pg_app, pg_learning, pg_live_server, frozen_clock, monkeypatch):
    frozen_clock(DURING)
    cohort_id = pg_learning.cohort()
    data = [list(r) for r in rows(1, start=900)]
    import_roster(pg_app, cohort_id, data)
    nik, email = data[0][0], data[0][2]
    with pg_app.app_context():
        uid = db.session.scalar(select(User.id).where(User.email == email))
        db.session.execute(delete(Enrollment).where(Enrollment.user_id == uid))
        db.session.commit()
    # One token per tap: a token's first use records it under the token's row lock, which would queue the taps.
    tokens = [pg_learning.headers(email) for _ in range(TAPS)]
    barrier = threading.Barrier(TAPS)
    inside = threading.Barrier(TAPS, timeout=20)
    status_of = services.initial_status

    @wraps(status_of)
    def held(*args, **kwargs):  # both requests are past their look-up before either inserts
        inside.wait()
        return status_of(*args, **kwargs)

    monkeypatch.setattr(services, "initial_status", held)
    answers, lock = [], threading.Lock()

    def tap(headers: dict) -> None:
        with requests.Session() as http:
            barrier.wait()
            response = http.post(f"{pg_live_server.url}/api/v1/nik-check", json={"nik": nik}, headers=headers,
                                 timeout=60)
            with lock:
                json_body = response.headers.get("Content-Type", "").startswith("application/json")
                answers.append((response.status_code, response.json().get("own_account") if json_body else None))

    threads = [threading.Thread(target=tap, args=(h,)) for h in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert answers == [(200, True)] * TAPS
    with pg_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Enrollment)
                                 .where(Enrollment.user_id == uid)) == 1
