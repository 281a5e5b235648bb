"""The participant's current enrollment, with everything the hot pages read from it, in one Core statement.

The enrollment of the latest programme year, its cohort and curriculum, and the live UKPPPG registration with its
session and site: adopted as persistent ORM instances (``lms.core.rows``) with their relationships set, so that
callers see exactly what the joined ORM load gave them, for a fraction of the CPU.

The same row comes with who is asking (``install``: ``lms.auth.identity`` selects it with the token's or the
session's user), kept in the session for the transaction it was read in: the first ``load_current_enrollment`` of
that user then adopts it without a statement. It is used once (a second call reads again, as every call did before),
and not at all once the transaction wrote through the ORM (``has_pending_writes``) or ended.

The registration, its session and site are ukppg's models, above this package: they are reached through the
``Enrollment.registration`` relationship, so that cohorts imports no ukppg module.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from flask import Flask
from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.attributes import set_committed_value

from lms.auth.identity import include
from lms.cohorts.models import Cohort, Enrollment
from lms.core.boundary import has_pending_writes
from lms.core.prepared import Prepared, for_the_transaction
from lms.core.rows import RowShape
from lms.curriculum.models import Curriculum
from lms.extensions import db

#: ``session.info``: the current enrollment's row by user id, as the identity statement read it.
_KEPT = for_the_transaction("lms_current_enrollment")  # what the transaction read goes with it


def _newest_first(enrollment, cohort) -> tuple:
    """Which enrollment is current: the latest programme year, then the latest opening (a user has one enrollment
    per programme year: the first key decides)."""
    return enrollment.programme_year.desc(), cohort.learning_opens_at.desc()


@cache
def _related() -> tuple[type, type, type]:
    """The registration, its session and its site (ukppg's), through the relationships."""
    registration = Enrollment.registration.property.mapper.class_
    session = registration.session.property.mapper.class_
    site = session.site.property.mapper.class_
    return registration, session, site


def _with_related(statement, *, outer: bool):
    """``statement`` (from the enrollment) joined to its cohort, curriculum, and live registration's session and
    site."""
    registration, session, site = _related()
    join_cohort = statement.outerjoin if outer else statement.join
    return (join_cohort(Cohort, Cohort.id == Enrollment.cohort_id)
            .outerjoin(Curriculum, Curriculum.id == Cohort.curriculum_id)
            .outerjoin(registration, and_(registration.enrollment_id == Enrollment.id,
                                          registration.cancelled_at.is_(None)))
            .outerjoin(session, session.id == registration.session_id)
            .outerjoin(site, site.id == session.site_id))


@cache
def _statement() -> tuple[RowShape, Prepared, int]:
    """Built once, on first use (every mapper is configured by then); only the user id is bound. With the shape and
    the position of the enrollment's id in a row."""
    shape = RowShape(Enrollment, Cohort, Curriculum, *_related())
    statement = (_with_related(select(*shape.columns()).select_from(Enrollment), outer=False)
                 .where(Enrollment.user_id == bindparam("user_id"))
                 .order_by(*_newest_first(Enrollment, Cohort))
                 .limit(1))
    return shape, Prepared(statement), [column.name for column in shape.columns()].index("e0_id")


class _WithIdentity:
    """The current enrollment's columns in the identity statements: outer-joined to the user through a correlated
    subquery of its id, so that at most one enrollment is joined (the rows stay one per role)."""

    def columns(self) -> list:
        return _statement()[0].columns(prefix="ce")

    def join(self, statement, user_id):
        enrollment, cohort = aliased(Enrollment), aliased(Cohort)
        current = (select(enrollment.id)
                   .join(cohort, cohort.id == enrollment.cohort_id)
                   .where(enrollment.user_id == user_id)
                   .order_by(*_newest_first(enrollment, cohort))
                   .limit(1)
                   .correlate_except(enrollment, cohort)
                   .scalar_subquery())
        return _with_related(statement.outerjoin(Enrollment, Enrollment.id == current), outer=True)

    def keep(self, session: Session, user_id: int, values: Sequence[Any]) -> None:
        kept = session.info.get(_KEPT)
        if kept is None:
            kept = session.info[_KEPT] = {}
        kept[user_id] = values if values[_statement()[2]] is not None else None


#: One for every app: the identity statements are built once per part.
_WITH_IDENTITY = _WithIdentity()


def install(app: Flask) -> None:
    """Select the current enrollment with who is asking, in the identity statements of ``app``."""
    include(app, _WITH_IDENTITY)


_ABSENT = object()


def _link(instance, key: str, value) -> None:
    if instance is not None and key not in instance.__dict__:  # an instance already loaded keeps what it has
        set_committed_value(instance, key, value)


def load_current_enrollment(user_id: int) -> Enrollment | None:
    shape, statement, _ = _statement()
    session = db.session()
    kept = session.info.get(_KEPT)
    row = kept.pop(user_id, _ABSENT) if kept else _ABSENT
    if row is _ABSENT or has_pending_writes(session):
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
