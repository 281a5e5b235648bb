"""The current enrollment comes with who is asking (``lms.cohorts.current.install``): the token's or the session's
statement selects it, and the first ``current_enrollment`` of that user in the same transaction costs no statement.
It is the enrollment ``load_current_enrollment`` reads, whatever the user's roles and enrollments; it is used once,
for that user only, and never once the transaction wrote or ended."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import insert, select

from lms.auth import identity
from lms.auth import services as auth_services
from lms.auth.models import User
from lms.cohorts import current
from lms.cohorts import services as cohorts
from lms.cohorts.models import Cohort, Enrollment
from lms.extensions import db
from tests.learning import ALLOWED, DURING, log_in
from tests.queries import counted

GURU = "guru.satu@guru.sd.belajar.id"
OTHER = "guru.dua@guru.sd.belajar.id"


def _grant(app, email: str, *roles: str) -> int:
    with app.app_context():
        user = auth_services.get_or_create_account(email, now=DURING, allowed_domains=ALLOWED)
        for role in roles:
            auth_services.grant_role(user, role, now=DURING)
        db.session.commit()
        return user.id


def _two_years(learning) -> tuple[int, int]:
    """A participant enrolled in two programme years, the older year's cohort opening later: returns the enrollment
    ids (current first)."""
    curriculum_id = learning.curriculum()
    older = learning.participant(GURU, cohort_id=learning.cohort(code="LAMA", curriculum_id=curriculum_id, year=2025,
                                                                 start=date(2026, 12, 1), end=date(2026, 12, 31)))
    current_id = learning.participant(GURU, cohort_id=learning.cohort(code="BARU", curriculum_id=curriculum_id))
    return current_id, older


def _me(app, learning, auth: str):
    """``GET /api/v1/me`` as the participant, once to record the token's first use, then counted."""
    if auth == "bearer":
        client, headers = app.test_client(), learning.headers(GURU)
    else:
        client, headers = log_in(app, GURU), {}
    client.get("/api/v1/me", headers=headers)
    with counted(app) as statements:
        response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json(), statements


@pytest.mark.parametrize("roles", [(), ("guru",), ("guru", "helpdesk", "dinas")])
@pytest.mark.parametrize("auth", ["bearer", "session"])
def test_who_is_asking_comes_with_the_enrollment_of_the_latest_year_and_every_role(app, learning, during, auth,
                                                                                    roles):
    current_id, _older = _two_years(learning)
    user_id = _grant(app, GURU, *roles)
    body, statements = _me(app, learning, auth)
    assert len(statements) == 1, statements  # who is asking, with the current enrollment
    assert sorted(body["roles"]) == sorted(roles)  # one row per role, not one per role and enrollment
    assert body["participant"] == {"cohort": "BARU", "status": "aktif", "programme_year": 2026}
    with app.app_context():  # what a statement of its own reads
        assert current.load_current_enrollment(user_id).id == current_id


@pytest.mark.parametrize("auth", ["bearer", "session"])
def test_an_admin_in_no_cohort_is_no_participant_without_a_statement(app, learning, during, auth):
    user_id = _grant(app, GURU, "admin_angkatan", "superadmin")
    with app.app_context():
        assert current.load_current_enrollment(user_id) is None  # what it answered before, with a statement
    body, statements = _me(app, learning, auth)
    assert len(statements) == 1, statements
    assert body["participant"] is None and body["roles"] == ["admin_angkatan", "superadmin"]


def _token_hash(learning, email: str) -> str:
    return auth_services.hash_token(learning.token(email))


def test_the_kept_enrollment_is_used_once_and_for_its_user_only(app, learning, during):
    cohort_id = learning.cohort()
    mine, theirs = learning.participant(GURU, cohort_id=cohort_id), learning.participant(OTHER, cohort_id=cohort_id)
    token_hash = _token_hash(learning, GURU)
    with app.test_request_context():
        user_id = identity.token_with_user(token_hash).user.id
        with counted(app) as statements:
            enrollment = cohorts.current_enrollment(user_id)
            assert enrollment.id == mine and enrollment.cohort.curriculum_id is not None
        assert statements == []
        with counted(app) as statements:
            assert cohorts.current_enrollment(user_id).id == mine
        assert len(statements) == 1  # a second call reads again, as every call did
        identity.token_with_user(token_hash)
        other_id = db.session.scalar(select(Enrollment.user_id).where(Enrollment.id == theirs))
        with counted(app) as statements:
            assert cohorts.current_enrollment(other_id).id == theirs  # another user's is read
        assert len(statements) == 1


def test_a_write_or_the_end_of_the_transaction_forgets_the_kept_enrollment(app, learning, during):
    learning.participant(GURU, cohort_id=learning.cohort())
    later = learning.cohort(code="LANJUT", year=2027, start=date(2027, 11, 1), end=date(2027, 11, 30))
    token_hash = _token_hash(learning, GURU)
    with app.test_request_context():
        user_id = identity.token_with_user(token_hash).user.id
        db.session.commit()  # the request's transaction ended: what it read goes with it
        with counted(app) as statements:
            assert cohorts.current_enrollment(user_id).cohort.code == "UJI-1"
        assert len(statements) == 1
        user = identity.token_with_user(token_hash).user
        newer = cohorts.enroll(user, db.session.get(Cohort, later), now=DURING)  # a write in the same transaction
        assert cohorts.current_enrollment(user_id) is newer


def test_what_a_request_read_is_gone_with_the_request(app, learning, during):
    """A session kept across requests (as a test or a command keeps its app context) holds no enrollment read by
    an earlier request: a later change is seen by the next look-up."""
    learning.participant(GURU, cohort_id=learning.cohort())
    later = learning.cohort(code="LANJUT", year=2027, start=date(2027, 11, 1), end=date(2027, 11, 30))
    headers = learning.headers(GURU)
    client = app.test_client()
    with app.app_context():
        # Who is asking is read, the enrollment with it, and nothing of this request looks it up.
        assert client.get("/api/v1/me/selection", headers=headers).status_code in (200, 404)
        user_id = db.session.scalar(select(User.id).where(User.email == GURU))
        with db.engine.begin() as other:  # another request enrolls the participant for a later year
            other.execute(insert(Enrollment).values(user_id=user_id, cohort_id=later, programme_year=2027,
                                                    status="menunggu", created_at=DURING))
        with counted(app) as statements:
            assert cohorts.current_enrollment(user_id).cohort.code == "LANJUT"
        assert len(statements) == 1
        # The next request of another participant is answered with theirs, not with anything kept.
        learning.participant(OTHER, cohort_id=learning.cohort(code="LAIN"))
        body = client.get("/api/v1/me", headers=learning.headers(OTHER)).get_json()
        assert body["participant"]["cohort"] == "LAIN"
