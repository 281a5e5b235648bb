"""What the admin pages read and change: each function one or two fixed SQL statements, whatever the sizes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import aliased, contains_eager

from lms.auth.models import User
from lms.cohorts import services as cohorts
from lms.cohorts.models import STATUSES, Cohort, Enrollment, Extension
from lms.cohorts.roster_models import RosterImport
from lms.core.errors import Invalid, NotFound
from lms.core.paging import Keyset, KeysetPage
from lms.curriculum.models import Curriculum
from lms.extensions import db
from lms.notifications.models import OutboxMessage
from lms.notifications.services import Rendered, render
from lms.ukppg.models import Registration

PER_PAGE = 50
HISTORY_LIMIT = 20


# --- cohorts --------------------------------------------------------------------------------------------------

def cohorts_with_counts() -> list[tuple[Cohort, int]]:
    """Every cohort with its curriculum and participant count, by learning start (one statement)."""
    counts = (select(Enrollment.cohort_id, func.count().label("n")).group_by(Enrollment.cohort_id).subquery())
    query = (select(Cohort, func.coalesce(counts.c.n, 0))
             .outerjoin(counts, counts.c.cohort_id == Cohort.id)
             .outerjoin(Cohort.curriculum).options(contains_eager(Cohort.curriculum))
             .order_by(Cohort.learning_opens_at, Cohort.code))
    return [(cohort, n) for cohort, n in db.session.execute(query)]


def curricula() -> list[Curriculum]:
    return list(db.session.scalars(select(Curriculum).order_by(Curriculum.code)))


def curricula_by_id() -> dict[int, Curriculum]:
    return {c.id: c for c in curricula()}


# --- one cohort -----------------------------------------------------------------------------------------------

def status_counts(cohort: Cohort) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    counts.update(db.session.execute(select(Enrollment.status, func.count()).where(Enrollment.cohort_id == cohort.id)
                                     .group_by(Enrollment.status)).all())
    return counts


def extensions_of(cohort: Cohort, limit: int = 100) -> list:
    granter = aliased(User)
    query = (select(Extension.until, Extension.reason, Extension.granted_at, User.email.label("email"),
                    granter.email.label("granted_by"))
             .join(Enrollment, Enrollment.id == Extension.enrollment_id)
             .join(User, User.id == Enrollment.user_id)
             .outerjoin(granter, granter.id == Extension.granted_by_id)
             .where(Enrollment.cohort_id == cohort.id)
             .order_by(Extension.granted_at.desc(), Extension.id.desc()).limit(limit))
    return list(db.session.execute(query).mappings())


def imports_of(cohort: Cohort, limit: int = HISTORY_LIMIT) -> list:
    query = (select(RosterImport, User.email).outerjoin(User, User.id == RosterImport.created_by_id)
             .where(RosterImport.cohort_id == cohort.id)
             .order_by(RosterImport.created_at.desc(), RosterImport.id.desc()).limit(limit))
    return list(db.session.execute(query))


def extend(cohort: Cohort, email: str, until: date, reason: str, *, actor_id: int | None, now: datetime):
    """Extend one participant of ``cohort``; an unknown e-mail is a field error like any other."""
    try:
        enrollment = cohorts.find_enrollment(cohort, email)
    except NotFound as exc:
        raise Invalid(details={"email": str(exc)}) from exc
    return cohorts.extend_participant(enrollment, until, reason=reason, now=now, actor_id=actor_id)


# --- outbox ---------------------------------------------------------------------------------------------------

@dataclass
class OutboxRow:
    message: OutboxMessage
    rendered: Rendered


#: The outbox's order, latest first; the index (created_at, id) finds a page's first row.
OUTBOX_ORDER = Keyset(OutboxMessage.created_at, OutboxMessage.id, types=(datetime, int), descending=True)


def outbox_page(*, page: int = 1, per_page: int = PER_PAGE, after: str | None = None,
                before: str | None = None) -> KeysetPage:
    """Latest messages first, rendered with their participant and cohort loaded in the same statement, with the
    total. ``after``/``before``: a neighbouring page's cursor (found by key); else ``page`` by OFFSET."""
    total = select(func.count()).select_from(OutboxMessage)
    query = (select(OutboxMessage, Enrollment, total.scalar_subquery().label("total"))
             .outerjoin(Enrollment, Enrollment.id == OutboxMessage.enrollment_id)
             .outerjoin(Enrollment.user).outerjoin(Enrollment.cohort)
             # The account's roles are not needed to render: no extra join for them.
             .options(contains_eager(Enrollment.user).lazyload(User.role_rows), contains_eager(Enrollment.cohort)))
    result = db.session.execute(OUTBOX_ORDER.select(query, page=page, per_page=per_page, after=after,
                                                    before=before)).all()
    count = result[0].total if result else (0 if page == 1 and not (after or before) else db.session.scalar(total))
    rows = [OutboxRow(message, render(message, enrollment)) for message, enrollment, _ in result]
    return OUTBOX_ORDER.page(rows, page=page, per_page=per_page, total=count, after=after, before=before,
                             key=lambda row: [row.message.created_at, row.message.id])


def outbox_counts() -> dict[str, int]:
    def tally(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    unsent = OutboxMessage.sent_at.is_(None)
    pending, sent, failed = db.session.execute(select(
        tally(unsent), tally(~unsent), tally(and_(unsent, OutboxMessage.error.is_not(None))))).one()
    return {"pending": pending, "sent": sent, "failed": failed}


def stranded_registrations(cohort: Cohort, now: datetime) -> int:
    """Active UKPPPG registrations of ``cohort`` whose participants cannot change or cancel them at ``now``
    (their registration window is not open), counted in one statement."""
    query = (select(func.count(Registration.id)).join(Enrollment, Registration.enrollment_id == Enrollment.id)
             .where(Enrollment.cohort_id == cohort.id, Registration.cancelled_at.is_(None)))
    opens, closes = cohort.registration_opens_at, cohort.registration_closes_at
    if (opens and now < opens) or (closes and now >= closes):
        return db.session.scalar(query)
    if closes or cohort.learning_closes_at > now:
        return 0
    # By default the window ends with the participant's learning window, which an extension moves.
    return db.session.scalar(query.where((Enrollment.extended_until.is_(None)) | (Enrollment.extended_until <= now)))
