"""The windows, enforced: enrollment status transitions and registration closing, as set-based SQL.

Every statement only moves rows that are not yet where they belong at ``now``, so a pass is idempotent,
catches up after downtime (a closed window is closed whatever was missed), and is safe with several workers
running it at once (each row moves once; a second pass finds nothing to do).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import and_, case, or_, select, update

from lms.cohorts.models import Cohort, Enrollment
from lms.extensions import db


@dataclass
class EnforcementResult:
    activated: int = 0
    completed: int = 0
    not_completed: int = 0
    reopened: int = 0
    registrations_closed: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def enforce_windows(*, now: datetime) -> EnforcementResult:
    """Move every enrollment to the status its window gives at ``now``; admins may move windows either way."""
    result = EnforcementResult()
    not_opened = select(Cohort.id).where(Cohort.learning_opens_at > now)
    opened = select(Cohort.id).where(Cohort.learning_opens_at <= now)
    closed = select(Cohort.id).where(Cohort.learning_closes_at <= now)
    still_open = or_(Enrollment.cohort_id.not_in(closed), Enrollment.extended_until > now)
    ended = and_(Enrollment.cohort_id.in_(closed), or_(Enrollment.extended_until.is_(None),
                                                       Enrollment.extended_until <= now))

    def run(statement) -> int:
        return db.session.execute(statement, execution_options={"synchronize_session": False}).rowcount

    # Before the window (also when an admin moved the start later): menunggu.
    run(update(Enrollment).where(Enrollment.status != "menunggu", Enrollment.cohort_id.in_(not_opened))
        .values(status="menunggu"))
    # Inside the window: aktif. From menunggu when it opens; from tuntas / tidak_tuntas when the window was
    # reopened (a personal extension, or the cohort's end moved later).
    result.activated = run(update(Enrollment).where(Enrollment.status == "menunggu", Enrollment.cohort_id.in_(opened),
                                                    still_open).values(status="aktif"))
    result.reopened = run(update(Enrollment).where(Enrollment.status.in_(("tuntas", "tidak_tuntas")),
                                                   Enrollment.cohort_id.in_(opened), still_open)
                          .values(status="aktif"))
    # After the window: tuntas when everything is complete, otherwise tidak_tuntas.
    counted = (select(Enrollment.completed_at.is_not(None), db.func.count())
               .where(Enrollment.status.in_(("menunggu", "aktif")), ended)
               .group_by(Enrollment.completed_at.is_not(None)))
    tallies = dict(db.session.execute(counted).all())
    run(update(Enrollment).where(Enrollment.status.in_(("menunggu", "aktif")), ended)
        .values(status=case((Enrollment.completed_at.is_not(None), "tuntas"), else_="tidak_tuntas")))
    result.completed, result.not_completed = tallies.get(True, 0), tallies.get(False, 0)
    # Registration closes at its own end, or with the learning window when it has none; reopens if moved later.
    registration_end = db.func.coalesce(Cohort.registration_closes_at, Cohort.learning_closes_at)
    result.registrations_closed = run(update(Cohort).where(Cohort.registration_closed_at.is_(None),
                                                           registration_end <= now)
                                      .values(registration_closed_at=now))
    run(update(Cohort).where(Cohort.registration_closed_at.is_not(None), registration_end > now)
        .values(registration_closed_at=None))
    return result
