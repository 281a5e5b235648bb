"""The message both accounts receive when a participant's record moves between them (through the outbox)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from babel.dates import format_date, format_datetime
from flask_babel import lazy_gettext as _l

from lms.core.regions import WIB, zone
from lms.extensions import db
from lms.notifications.emails import render_email, subject_in
from lms.notifications.models import OutboxMessage

if TYPE_CHECKING:
    from lms.helpdesk.repoint import RepointPreview

KIND = "akun_dialihkan"
SUBJECT = _l("Pusat Bantuan: data peserta Sertifikasi Pendidik dipindahkan ke akun lain")


def moved_text(preview: RepointPreview, *, ticket_id: int, now: datetime, recipient: str) -> str:
    """Indonesian (the participants' language), with a short English line like the other messages."""
    when = format_datetime(now.astimezone(zone(WIB)), "d MMMM y, HH.mm", locale="id") + " WIB"
    seat = preview.registration
    seat_when = None
    if seat:  # the exam's local date and time, in words: "9 Januari 2027, 08.00"
        seat_when = (format_date(date.fromisoformat(seat.date), "d MMMM y", locale="id") + ", "
                     + seat.start.replace(":", "."))
    return render_email(KIND, preview=preview, seat=seat, seat_when=seat_when, ticket_id=ticket_id, when=when,
                        recipient=recipient,
                        summary=_l("Data peserta Anda dipindahkan dari %(old)s ke %(new)s oleh Pusat Bantuan, "
                                   "tiket #%(ticket)s.", old=preview.old_email, new=preview.new_email,
                                   ticket=ticket_id))


def notify_moved(preview: RepointPreview, *, ticket_id: int, now: datetime) -> list[OutboxMessage]:
    """One outbox message to the old account and one to the new one."""
    messages = [OutboxMessage(kind=KIND, to_email=email, enrollment_id=preview.enrollment_id, created_at=now,
                              params={"subject": subject_in(SUBJECT), "ticket_id": ticket_id,
                                      "body": moved_text(preview, ticket_id=ticket_id, now=now, recipient=email)})
                for email in (preview.old_email, preview.new_email)]
    db.session.add_all(messages)
    return messages


REPLY_KIND = "balasan_bantuan"
REPLY_SUBJECT = _l("Pusat Bantuan membalas tiket Anda")


def notify_reply(ticket, *, now: datetime, ticket_url: str) -> OutboxMessage:
    """The teacher hears of an agent's reply (through the outbox); the reply itself is on the ticket page."""
    when = format_datetime(now.astimezone(zone(WIB)), "d MMMM y, HH.mm", locale="id") + " WIB"
    body = render_email(REPLY_KIND, ticket_id=ticket.id, when=when, url=ticket_url,
                        summary=_l("The helpdesk replied to your ticket #%(ticket)s: %(url)s", ticket=ticket.id,
                                   url=ticket_url))
    message = OutboxMessage(kind=REPLY_KIND, to_email=ticket.user.email, enrollment_id=None, created_at=now,
                            params={"subject": subject_in(REPLY_SUBJECT), "ticket_id": ticket.id, "body": body})
    db.session.add(message)
    return message
