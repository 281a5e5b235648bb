"""A finished participant (100 % progress, a UKPPPG registration) whose ticket asks to re-point the e-mail."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import func, select

from lms.cohorts.models import Enrollment
from lms.cohorts.roster_models import RosterEntry
from lms.curriculum.models import Module
from lms.extensions import db
from lms.helpdesk.models import Ticket
from lms.journal.models import JournalEntry
from lms.modules.models import MateriProgress
from lms.notifications.models import OutboxMessage
from lms.posttest.models import Attempt
from lms.ukppg.models import Registration
from tests.helpdesk.helpers import NEW_ACCOUNT, ROSTER, form, uid
from tests.learning import DURING, import_roster
from tests.ukppg.helpers import make_sessions


def finish_everything(app, enrollment_id: int) -> None:
    """Every materi, post-test and journal of the curriculum done (rows written directly)."""
    with app.app_context():
        enrollment = db.session.get(Enrollment, enrollment_id)
        modules = db.session.scalars(select(Module).where(Module.curriculum_id == enrollment.cohort.curriculum_id))
        for module in modules:
            for materi in module.materi:
                db.session.merge(MateriProgress(enrollment_id=enrollment_id, materi_id=materi.id, done_at=DURING))
            db.session.add(Attempt(enrollment_id=enrollment_id, module_id=module.id, score=2, max_score=2,
                                   answers={}, submitted_at=DURING))
            db.session.add(JournalEntry(enrollment_id=enrollment_id, module_id=module.id, draft_answers={},
                                        submitted_answers={}, status="submitted", updated_at=DURING,
                                        submitted_at=DURING, version=1))
        enrollment.completed_at = DURING
        db.session.commit()


def finished_participant(desk, learning) -> SimpleNamespace:
    """ROSTER imported; its first participant finished everything and registered for UKPPPG; NEW_ACCOUNT opened
    a ticket about that NIK."""
    app, client = desk.app, desk.client
    cohort_id = learning.cohort(curriculum_id=learning.curriculum())
    import_roster(app, cohort_id, ROSTER)
    old = ROSTER[0][2]
    old_headers = learning.headers(old)
    with app.app_context():
        enrollment_id = db.session.scalar(select(Enrollment.id).where(Enrollment.user_id == uid(app, old)))
    finish_everything(app, enrollment_id)
    progress = client.get("/api/v1/me/progress", headers=old_headers).get_json()
    assert progress["percent"] == 100 and progress["complete"] is True
    [session_id] = make_sessions(app, ("TUK Banda Aceh", "1101", 10))
    registered = client.post("/api/v1/ukppg/registrations", json={"session_id": session_id}, headers=old_headers)
    assert registered.status_code == 201, registered.get_json()
    new_headers = learning.headers(NEW_ACCOUNT)
    ticket = desk.open(new_headers, data=form(belajar_id_account=NEW_ACCOUNT))
    assert ticket.status_code == 201
    ticket_id = ticket.get_json()["id"]
    matches = client.get(f"/api/v1/tickets/{ticket_id}", headers=desk.agent).get_json()["roster"]
    assert [(m["cohort"], m["email"]) for m in matches] == [("UJI-1", old)]
    return SimpleNamespace(cohort_id=cohort_id, old=old, old_headers=old_headers, new_headers=new_headers,
                           ticket_id=ticket_id, entry_id=matches[0]["entry_id"], enrollment_id=enrollment_id,
                           session_id=session_id, number=registered.get_json()["number"])


def state(app, p) -> tuple:
    """Everything a refused re-point must leave as it was."""
    with app.app_context():
        entry = db.session.get(RosterEntry, p.entry_id)
        enrollment = db.session.get(Enrollment, p.enrollment_id)
        ticket = db.session.get(Ticket, p.ticket_id)
        registration = db.session.scalar(select(Registration).where(Registration.enrollment_id == p.enrollment_id))
        return (entry.email, enrollment.user_id, ticket.status, len(ticket.messages),
                (registration.number, registration.session_id, registration.cancelled_at),
                db.session.scalar(select(func.count(MateriProgress.materi_id))
                                  .where(MateriProgress.enrollment_id == p.enrollment_id)),
                db.session.scalar(select(func.count(OutboxMessage.id))))


def outbox(app) -> list[tuple[str, str, str]]:
    with app.app_context():
        return [(m.kind, m.to_email, m.params["body"]) for m in
                db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
