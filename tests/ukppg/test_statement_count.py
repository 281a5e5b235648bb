"""The exam rush's request sends a fixed, small number of statements: registering is the hottest write of a phase."""

from __future__ import annotations

from sqlalchemy import select

from lms.core.audit import AuditEvent
from lms.extensions import db
from lms.ukppg import schemas
from lms.ukppg.models import Registration
from tests.queries import commits, counted, writes
from tests.ukppg.helpers import complete, seats_taken
from tests.ukppg.test_registration import GURU, post, ready  # noqa: F401 - the fixture

#: PostgreSQL: the token with the current enrollment (and any active registration), and one statement that takes the
#: seat, inserts the registration with its number and writes the audit row (``lms/ukppg/seat_statement.py``).
REGISTER_STATEMENTS = 2
#: SQLite (no data-modifying CTEs): the token with the current enrollment, the seat (RETURNING the session and its
#: site), the registration, the audit row, its number.
REGISTER_STATEMENTS_SQLITE = 5
#: A refusal for a full session on PostgreSQL: the token with the current enrollment, the statement (it writes
#: nothing), and the session's day to say why.
SEAT_FULL_STATEMENTS = 3


def _dialect(app) -> str:
    with app.app_context():
        return db.engine.dialect.name


def test_registering_sends_a_fixed_number_of_statements(app, ready):  # noqa: F811
    ready["client"].get("/api/v1/me", headers=ready["headers"])  # the token's first use is recorded here
    with counted(app) as statements:
        response = post(ready, ready["sessions"][1])
    assert response.status_code == 201, response.get_json()
    postgres = _dialect(app) == "postgresql"
    assert len(statements) <= (REGISTER_STATEMENTS if postgres else REGISTER_STATEMENTS_SQLITE), statements
    assert not [s for s in statements if "SAVEPOINT" in s or s.startswith("SELECT ukppg_registrations")], statements
    if postgres:
        assert len(writes(statements)) == 0 and statements[-1].lstrip().startswith("WITH seat AS"), statements
    body = response.get_json()
    # The prepared answer is exactly what the declared schema would dump.
    assert schemas.UkppgRegistration().validate(body) == {} and schemas.UkppgRegistration().dump(body) == body
    assert body["session"]["seats_left"] == 1 and body["session"]["site"] == "TUK Makassar"
    with app.app_context():
        registration = db.session.scalar(select(Registration).where(Registration.enrollment_id == ready["enrollment"]))
        assert registration.number == body["number"] == f"UKPPPG-2026-{registration.id:06d}"
        audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "ukppg.register")).all()
        assert [(a.subject_type, a.subject_id, a.data, a.actor_id is not None) for a in audit] == \
            [("registration", str(registration.id), {"session_id": ready["sessions"][1], "number": body["number"]},
              True)]


def test_a_full_session_is_refused_without_writing_or_rolling_back(app, learning, ready):  # noqa: F811
    full = ready["sessions"][2]
    assert post(ready, full).status_code == 201
    other = learning.participant("guru.dua@guru.sd.belajar.id", cohort_id=ready["cohort"])
    complete(app, other)
    client, headers = app.test_client(), learning.headers("guru.dua@guru.sd.belajar.id")
    client.get("/api/v1/me", headers=headers)  # the token's first use is recorded here
    with counted(app) as statements, commits(app) as committed:
        response = client.post("/api/v1/ukppg/registrations", json={"session_id": full}, headers=headers)
    assert response.status_code == 409 and response.get_json()["code"] == "seat_full"
    assert seats_taken(app, full) == 1
    if _dialect(app) == "postgresql":
        assert len(statements) <= SEAT_FULL_STATEMENTS, statements
        assert len(committed) == 1, statements  # nothing changed: COMMIT, which keeps the prepared statements
    with app.app_context():
        assert db.session.scalar(select(Registration).where(Registration.enrollment_id == other)) is None
        assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "ukppg.register")).all()) == 1
