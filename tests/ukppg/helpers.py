"""UKPPPG test helpers: sites, sessions and participants who have completed everything."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import update

from lms.cohorts.models import Enrollment
from lms.extensions import db
from lms.ukppg.models import ExamSession, ExamSite
from tests.learning import DURING


def make_sessions(app, *specs) -> list[int]:
    """specs: (site name, kode_kabkota, seats). Returns session ids, in order."""
    ids = []
    with app.app_context():
        for i, (name, kode, seats) in enumerate(specs):
            site = ExamSite(name=name, kode_kabkota=kode, province=kode[:2], address=f"Alamat {name}")
            db.session.add(site)
            db.session.flush()
            session = ExamSession(site_id=site.id, date=date(2026, 12, 20 + i), start=time(8), seats=seats,
                                  seats_taken=0)
            db.session.add(session)
            db.session.flush()
            ids.append(session.id)
        db.session.commit()
    return ids


def complete(app, *enrollment_ids) -> None:
    with app.app_context():
        db.session.execute(update(Enrollment).where(Enrollment.id.in_(enrollment_ids)).values(completed_at=DURING))
        db.session.commit()


def seats_taken(app, session_id: int) -> int:
    with app.app_context():
        return db.session.get(ExamSession, session_id).seats_taken
