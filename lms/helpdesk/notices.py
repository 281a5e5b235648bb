"""The message both accounts receive when a participant's record moves between them (through the outbox)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from babel.dates import format_datetime

from lms.core.regions import WIB, zone
from lms.extensions import db
from lms.notifications.models import OutboxMessage

if TYPE_CHECKING:
    from lms.helpdesk.repoint import RepointPreview

KIND = "akun_dialihkan"
SUBJECT = "Pusat Bantuan: data peserta Sertifikasi Pendidik dipindahkan ke akun lain"


def moved_text(preview: RepointPreview, *, ticket_id: int, now: datetime, recipient: str) -> str:
    """Indonesian (the participants' language), with a short English line like the other messages."""
    when = format_datetime(now.astimezone(zone(WIB)), "d MMMM y HH.mm", locale="id") + " WIB"
    seat = preview.registration
    lines = [
        "Yth. pemilik akun " + recipient + ",",
        "",
        f"Atas tiket Pusat Bantuan #{ticket_id}, pada {when} data peserta {preview.cohort_name} ({preview.cohort}) "
        f"dipindahkan dari akun {preview.old_email} ke akun {preview.new_email}.",
        "",
        "Yang dipindahkan:",
        f"- Keikutsertaan pada angkatan {preview.cohort} (tahun program {preview.programme_year})"
        if preview.enrollment_id is not None else "- Data daftar peserta (belum ada keikutsertaan angkatan)",
        f"- Kemajuan belajar: {preview.percent}% ({preview.parts_done} dari {preview.parts_total} bagian selesai)",
        f"- Pendaftaran UKPPPG: nomor {seat.number}, {seat.site}, {seat.date} pukul {seat.start}"
        if seat else "- Pendaftaran UKPPPG: tidak ada",
        "",
    ]
    if recipient == preview.new_email:
        lines.append(f"Masuk dengan akun {preview.new_email} untuk melanjutkan; semua data di atas ada di akun ini.")
    else:
        lines.append(f"Akun {preview.old_email} tidak lagi terhubung dengan data peserta ini.")
    lines += ["Jika Anda tidak meminta perubahan ini, segera hubungi Pusat Bantuan.", "",
              f"(Your participant record was moved from {preview.old_email} to {preview.new_email} by the "
              f"helpdesk, ticket #{ticket_id}.)"]
    return "\n".join(lines) + "\n"


def notify_moved(preview: RepointPreview, *, ticket_id: int, now: datetime) -> list[OutboxMessage]:
    """One outbox message to the old account and one to the new one."""
    messages = [OutboxMessage(kind=KIND, to_email=email, enrollment_id=preview.enrollment_id, created_at=now,
                              params={"subject": SUBJECT, "ticket_id": ticket_id,
                                      "body": moved_text(preview, ticket_id=ticket_id, now=now, recipient=email)})
                for email in (preview.old_email, preview.new_email)]
    db.session.add_all(messages)
    return messages
