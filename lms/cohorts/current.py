"""The participant's current enrollment, with everything the hot pages read from it, in one Core statement.

The enrollment of the latest programme year, its cohort and curriculum, and the live UKPPPG registration with its
session and site: adopted as persistent ORM instances (``lms.core.rows``) with their relationships set, so that
callers see exactly what the joined ORM load gave them, for a fraction of the CPU.

The registration, its session and site are ukppg's models, above this package: they are reached through the
``Enrollment.registration`` relationship, so that cohorts imports no ukppg module.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm.attributes import set_committed_value

from lms.cohorts.models import Cohort, Enrollment
from lms.core.prepared import Prepared
from lms.core.rows import RowShape
from lms.curriculum.models import Curriculum
from lms.extensions import db


@cache
def _statement():
    """Built once, on first use (every mapper is configured by then); only the user id is bound."""
    registration = Enrollment.registration.property.mapper.class_
    session = registration.session.property.mapper.class_
    site = session.site.property.mapper.class_
    shape = RowShape(Enrollment, Cohort, Curriculum, registration, session, site)
    statement = (
        select(*shape.columns())
        .select_from(Enrollment)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .outerjoin(Curriculum, Curriculum.id == Cohort.curriculum_id)
        .outerjoin(registration, and_(registration.enrollment_id == Enrollment.id,
                                      registration.cancelled_at.is_(None)))
        .outerjoin(session, session.id == registration.session_id)
        .outerjoin(site, site.id == session.site_id)
        .where(Enrollment.user_id == bindparam("user_id"))
        .order_by(Enrollment.programme_year.desc(), Cohort.learning_opens_at.desc())
        .limit(1)
    )
    return shape, Prepared(statement)


def _link(instance, key: str, value) -> None:
    if instance is not None and key not in instance.__dict__:  # an instance already loaded keeps what it has
        set_committed_value(instance, key, value)


def load_current_enrollment(user_id: int) -> Enrollment | None:
    shape, statement = _statement()
    session = db.session()
    row = statement.first(session, {"user_id": user_id})
    if row is None:
        return None
    enrollment, cohort, curriculum, registration, exam_session, site = shape.adopt(session, row)
    _link(enrollment, "cohort", cohort)
    _link(cohort, "curriculum", curriculum)
    _link(enrollment, "registration", registration)
    _link(registration, "session", exam_session)
    _link(exam_session, "site", site)
    return enrollment
