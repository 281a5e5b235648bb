"""Reminders before a window ends (H-7, H-3, H-1) to participants not yet complete.

Each (participant, milestone) is claimed once by an INSERT that the unique constraint arbitrates, tagged with
the pass's own ``run_id``; only the rows a pass claimed are queued by it, so two workers at the same moment
never send twice. After downtime only the latest milestone due is sent; the earlier ones are recorded as
skipped. All of it is set-based: no participant is loaded into Python.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, exists, func, insert, literal, select, update

from lms.auth.models import User
from lms.cohorts.models import Cohort, Enrollment, Reminder
from lms.core.db import dialect_insert
from lms.core.formatting import deadline_text
from lms.core.regions import timezone_for
from lms.extensions import db
from lms.notifications.emails import render_email, subject_in
from lms.notifications.models import OutboxMessage
from lms.notifications.services import Rendered

MILESTONES = (("H-7", 7), ("H-3", 3), ("H-1", 1))


def effective_close():
    """Per enrollment: the cohort's close, or a later personal extension."""
    return case((Enrollment.extended_until > Cohort.learning_closes_at, Enrollment.extended_until),
                else_=Cohort.learning_closes_at)


def send_reminders(*, now: datetime) -> dict[str, int]:
    """Claim the milestones due at ``now`` and queue one message per participant; returns counts."""
    insert_fn = dialect_insert(db.session)
    run_id = uuid.uuid4().hex
    close = effective_close()
    counts = {}
    for milestone, days in MILESTONES:
        due = (select(Enrollment.id, literal(milestone), literal(now, Reminder.claimed_at.type), literal(run_id),
                      literal(False))
               .join(Cohort, Cohort.id == Enrollment.cohort_id)
               .where(Enrollment.status == "aktif", Enrollment.completed_at.is_(None),
                      close > now, close <= now + timedelta(days=days)))
        statement = (insert_fn(Reminder)
                     .from_select(["enrollment_id", "milestone", "claimed_at", "run_id", "skipped"], due)
                     .on_conflict_do_nothing(index_elements=["enrollment_id", "milestone"]))
        db.session.execute(statement)
    newer = Reminder.__table__.alias("newer")
    for milestone, later in (("H-7", ("H-3", "H-1")), ("H-3", ("H-1",))):
        db.session.execute(update(Reminder).where(
            Reminder.run_id == run_id, Reminder.milestone == milestone,
            exists().where(newer.c.enrollment_id == Reminder.enrollment_id, newer.c.milestone.in_(later),
                           newer.c.run_id == run_id)).values(skipped=True),
            execution_options={"synchronize_session": False})
    for milestone, _ in MILESTONES:
        mine = (Reminder.run_id == run_id, Reminder.milestone == milestone, Reminder.skipped.is_(False))
        counts[milestone] = db.session.scalar(select(func.count()).where(*mine))
        db.session.execute(insert(OutboxMessage).from_select(
            ["kind", "to_email", "enrollment_id", "params", "created_at", "attempts"],
            select(literal("reminder"), User.email, Reminder.enrollment_id,
                   literal({"milestone": milestone}, OutboxMessage.params.type),
                   literal(now, OutboxMessage.created_at.type), literal(0))
            .join(Enrollment, Enrollment.id == Reminder.enrollment_id).join(User, User.id == Enrollment.user_id)
            .where(*mine)))
    counts["skipped"] = db.session.scalar(select(func.count()).where(Reminder.run_id == run_id, Reminder.skipped))
    return counts


def render_reminder(message: OutboxMessage, enrollment: Enrollment) -> Rendered:
    """A reminder e-mail, composed when it is sent (registered with ``lms.notifications`` by the app factory)."""
    milestone = message.params.get("milestone", "")
    days = milestone.removeprefix("H-")
    deadline = deadline_text(enrollment.closes_at(), timezone_for(enrollment.kode_kabkota))
    subject = subject_in(_l("Pengingat Sertifikasi Pendidik: %(days)s hari lagi (%(milestone)s)", days=days,
                            milestone=milestone))
    body = render_email("reminder", name=enrollment.user.name or enrollment.user.email,
                        cohort=enrollment.cohort.name, deadline=deadline,
                        url=f"{current_app.config['BASE_URL']}/sertifikasi/",
                        summary=_l("Masa pembelajaran Sertifikasi Pendidik Anda berakhir pada %(deadline)s.",
                                   deadline=deadline))
    return Rendered(subject, body)
