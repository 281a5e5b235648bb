"""Rendering and delivering outbox messages. Without SMTP configured, messages stay in the outbox for admins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_mail import Message
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lms.cohorts.models import Enrollment
from lms.core.formatting import deadline_text
from lms.core.regions import timezone_for
from lms.extensions import db, mail
from lms.notifications.models import OutboxMessage

MAX_ATTEMPTS = 5


@dataclass
class Rendered:
    subject: str
    body: str


def render(message: OutboxMessage, enrollment: Enrollment | None) -> Rendered:
    if message.kind == "reminder" and enrollment is not None:
        milestone = message.params.get("milestone", "")
        days = milestone.removeprefix("H-")
        deadline = deadline_text(enrollment.closes_at(), timezone_for(enrollment.kode_kabkota))
        subject = f"Pengingat Sertifikasi Pendidik: {days} hari lagi ({milestone})"
        body = (f"Yth. {enrollment.user.name or enrollment.user.email},\n\n"
                f"Masa pembelajaran {enrollment.cohort.name} berakhir pada {deadline}. Selesaikan materi, post-test, "
                f"dan jurnal pembelajaran setiap modul agar dapat mendaftar UKPPPG.\n\n"
                f"Buka: {current_app.config['BASE_URL']}/sertifikasi/\n\n"
                f"(Reminder: your Sertifikasi Pendidik learning window ends on {deadline}.)\n")
        return Rendered(subject, body)
    if isinstance(message.params.get("subject"), str) and isinstance(message.params.get("body"), str):
        return Rendered(message.params["subject"], message.params["body"])  # composed by the sending domain
    return Rendered(f"Sertifikasi Pendidik: {message.kind}", str(message.params))


def smtp_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def deliver_pending(*, now: datetime, batch: int = 200) -> int:
    """Send up to ``batch`` pending messages by SMTP; rows are locked so that workers share the work."""
    if not smtp_configured():
        return 0
    query = (select(OutboxMessage).where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS)
             .options(joinedload(OutboxMessage.enrollment).joinedload(Enrollment.cohort),
                      joinedload(OutboxMessage.enrollment).joinedload(Enrollment.user))
             .order_by(OutboxMessage.id).limit(batch))
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=OutboxMessage, skip_locked=True)
    sent = 0
    with mail.connect() as connection:
        for message in db.session.scalars(query).unique():
            rendered = render(message, message.enrollment)
            message.attempts += 1
            try:
                connection.send(Message(rendered.subject, recipients=[message.to_email], body=rendered.body))
            except Exception as exc:  # noqa: BLE001 - any SMTP failure is recorded and retried later
                message.error = str(exc)[:500]
                continue
            message.sent_at, message.error = now, None
            sent += 1
    return sent

