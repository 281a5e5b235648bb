"""Admin tools for a large cohort: one participant in full, extensions for many at once, the audit trail."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, insert, literal, or_, select, update

from lms.auth.models import User
from lms.cohorts.models import Cohort, Enrollment, Extension, window_instants
from lms.core.audit import AuditEvent
from lms.core.errors import Invalid, NotFound
from lms.core.paging import Keyset, KeysetPage
from lms.extensions import db
from lms.modules.progress import compute_progress
from lms.progress.models import ProgressSummary
from lms.ukppg.models import Registration

#: At most this many participants in one bulk extension (a CSV of a district's teachers fits easily).
MAX_BULK = 5000
AUDIT_PER_PAGE = 50
#: The audit log's order, newest first; the index (at, id) finds a page's first row.
AUDIT_ORDER = Keyset(AuditEvent.at, AuditEvent.id, types=(datetime, int), descending=True)
EMAIL = re.compile(r"[^\s,;\"'<>]+@[^\s,;\"'<>]+")


@dataclass
class ParticipantView:
    enrollment: Enrollment
    progress: object
    last_activity: datetime | None
    extensions: list
    registrations: list
    events: list


def participant(cohort: Cohort, enrollment_id: int) -> ParticipantView:
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None or enrollment.cohort_id != cohort.id:
        raise NotFound(_l("Peserta tidak ditemukan di angkatan ini."))
    last = db.session.scalar(select(ProgressSummary.last_activity_at)
                             .where(ProgressSummary.enrollment_id == enrollment.id))
    extensions = db.session.execute(
        select(Extension, User.email).outerjoin(User, User.id == Extension.granted_by_id)
        .where(Extension.enrollment_id == enrollment.id).order_by(Extension.granted_at.desc())).all()
    registrations = db.session.scalars(select(Registration).where(Registration.enrollment_id == enrollment.id)
                                       .order_by(Registration.created_at.desc())).all()
    subjects = [and_(AuditEvent.subject_type == "enrollment", AuditEvent.subject_id == str(enrollment.id)),
                AuditEvent.actor_id == enrollment.user_id]
    if registrations:
        subjects.append(and_(AuditEvent.subject_type == "registration",
                             AuditEvent.subject_id.in_([str(r.id) for r in registrations])))
    events = db.session.execute(select(AuditEvent, User.email).outerjoin(User, User.id == AuditEvent.actor_id)
                                .where(or_(*subjects)).order_by(AuditEvent.at.desc()).limit(100)).all()
    return ParticipantView(enrollment, compute_progress(enrollment), last, extensions, registrations, events)


def parse_emails(text: str) -> list[str]:
    """E-mails from pasted text or a CSV (any column): each token with an @, lower-cased, in order, once."""
    return list(dict.fromkeys(m.group(0).strip(".").lower() for m in EMAIL.finditer(text or "")))


def extend_many(cohort: Cohort, emails: list[str], until: date | None, reason: str, *, actor_id: int | None,
                now: datetime) -> int:
    """Extend every listed participant of ``cohort`` to the end of ``until`` (its last day, inclusive): all of
    them or, when anything is wrong, none. One UPDATE for the enrollments; every row audited."""
    reason = (reason or "").strip()
    errors = {}
    if not emails:
        errors["emails"] = str(_l("Tuliskan atau unggah minimal satu e-mail peserta."))
    elif len(emails) > MAX_BULK:
        errors["emails"] = str(_l("Paling banyak %(n)s peserta sekaligus.", n=MAX_BULK))
    if not reason:
        errors["reason"] = str(_l("Alasan perpanjangan wajib diisi."))
    end = None
    if until is None:
        errors["until"] = str(_l("Isi tanggal akhir perpanjangan."))
    else:
        end = window_instants(until, until, cohort.timezone)[1].astimezone(UTC)
        if end <= cohort.learning_closes_at:
            errors["until"] = str(_l("Tanggal perpanjangan harus sesudah akhir masa pembelajaran angkatan (%(d)s).",
                                     d=cohort.learning_end.isoformat()))
    if errors:
        raise Invalid(details=errors)
    found = db.session.execute(select(Enrollment.id, User.email, Enrollment.extended_until)
                               .join(User, User.id == Enrollment.user_id)
                               .where(Enrollment.cohort_id == cohort.id, User.email.in_(emails))).all()
    missing = sorted(set(emails) - {row.email for row in found})
    if missing:
        shown = ", ".join(missing[:10]) + (f" (+{len(missing) - 10})" if len(missing) > 10 else "")
        raise Invalid(details={"emails": str(_l("Tidak terdaftar di angkatan ini: %(emails)s. Tidak ada yang "
                                                "diperpanjang.", emails=shown))})
    ids = [row.id for row in found]
    values = {"extended_until": end}
    if end > now:  # a participant closed without completing is active again, as with a single extension
        values["status"] = case((and_(Enrollment.status.in_(("tuntas", "tidak_tuntas")),
                                      Enrollment.completed_at.is_(None)), literal("aktif")), else_=Enrollment.status)
    db.session.execute(update(Enrollment).where(Enrollment.id.in_(ids)).values(**values),
                       execution_options={"synchronize_session": False})
    db.session.execute(insert(Extension), [{"enrollment_id": i, "until": end, "reason": reason[:500],
                                            "granted_by_id": actor_id, "granted_at": now} for i in ids])
    db.session.execute(insert(AuditEvent), [
        {"at": now, "actor_id": actor_id, "action": "enrollment.extend", "subject_type": "enrollment",
         "subject_id": str(row.id), "data": {"until": end.isoformat(), "reason": reason[:500], "cohort": cohort.code,
                                             "previous": row.extended_until.isoformat() if row.extended_until else None,
                                             "bulk": True}} for row in found])
    return len(ids)


def audit_page(*, actor: str | None, action: str | None, subject: str | None, since: date | None,
               until: date | None, page: int = 1, after: str | None = None, before: str | None = None,
               per_page: int | None = None) -> KeysetPage:
    """Audit events, newest first, filtered by actor e-mail, action (prefix), subject (type or type:id) and
    day range (WIB days); rows and total in one statement. ``after``/``before``: a cursor of a neighbouring page
    (found by key, whatever the position); without one, ``page`` is read by OFFSET (links made before cursors)."""
    per_page = per_page or AUDIT_PER_PAGE
    conditions = []
    if actor:
        conditions.append(User.email == actor.strip().lower())
    if action:
        conditions.append(AuditEvent.action.startswith(action.strip(), autoescape=True))
    if subject:
        kind, _, ident = subject.strip().partition(":")
        conditions.append(AuditEvent.subject_type == kind)
        if ident:
            conditions.append(AuditEvent.subject_id == ident)
    wib = timedelta(hours=7)
    if since:
        conditions.append(AuditEvent.at >= datetime.combine(since, time(), UTC) - wib)
    if until:
        conditions.append(AuditEvent.at < datetime.combine(until + timedelta(days=1), time(), UTC) - wib)
    # The total of the filter (not of the rows after the cursor), in the same statement.
    counted = select(func.count()).select_from(AuditEvent).outerjoin(User, User.id == AuditEvent.actor_id)
    total = counted.where(*conditions).scalar_subquery()
    query = (select(AuditEvent, User.email, total.label("total"))
             .outerjoin(User, User.id == AuditEvent.actor_id).where(*conditions))
    rows = db.session.execute(AUDIT_ORDER.select(query, page=page, per_page=per_page, after=after,
                                                 before=before)).all()
    count = rows[0].total if rows else (0 if page == 1 and not (after or before) else
                                        db.session.scalar(counted.where(*conditions)))
    return AUDIT_ORDER.page(rows, page=page, per_page=per_page, total=count, after=after, before=before,
                            key=lambda row: [row[0].at, row[0].id])
