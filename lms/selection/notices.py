"""The personal notice of a publication: every candidate of the run gets one outbox message with their status
(ditetapkan, cadangan, tidak memenuhi syarat, dihapus) and what to do next. Queued in the publication's own
transaction, once per candidate and status: a republication tells only those whose status changed since (a
removal approved after publication tells the removed and the promoted candidate at once). Delivered by the outbox
like every other message."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import insert, or_, select, update

from lms.extensions import db
from lms.notifications.models import OutboxMessage
from lms.selection.determination import HEADLINES
from lms.selection.models import SelectionEntry

KIND = "selection_notice"
BATCH_SIZE = 2000


def _texts(base: str, run_id: int) -> dict[str, tuple[str, str]]:
    """status -> (subject, body), in the published list's language (the stored text's)."""
    mine, announcement = f"{base}/sertifikasi/penetapan-saya/", f"{base}/pengumuman/{run_id}"
    see = _("Lihat alasan dan rinciannya: %(mine)s. Pengumuman: %(announcement)s.", mine=mine,
            announcement=announcement)
    return {
        "ditetapkan": (str(HEADLINES["ditetapkan"]),
                       _("Selamat, Anda ditetapkan sebagai peserta. Langkah berikutnya: masuk dengan akun "
                         "belajar.id ini dan buka Sertifikasi Pendidik untuk mulai belajar.") + " " + see),
        "cadangan": (str(HEADLINES["cadangan"]),
                     _("Anda memenuhi syarat dan tercatat sebagai cadangan. Jika peserta yang ditetapkan "
                       "dihapus, cadangan dengan peringkat terbaik dinaikkan dan diberi tahu.") + " " + see),
        "tidak_memenuhi_syarat": (str(HEADLINES["tidak_memenuhi_syarat"]),
                                  _("Anda belum memenuhi syarat sebagai peserta. Jika data Anda keliru, "
                                    "perbaiki di Dapodik atau buat tiket di Pusat Bantuan.") + " " + see),
        "dihapus": (str(HEADLINES["dihapus"]),
                    _("Anda dihapus dari daftar yang ditetapkan. Jika keputusan ini keliru, buat tiket di "
                      "Pusat Bantuan.") + " " + see),
    }


def queue_notices(run_id: int, *, now: datetime, entry_ids: tuple[int, ...] | None = None) -> int:
    """One outbox message per candidate of run ``run_id`` whose current status they were not told yet (all of
    them, or those of ``entry_ids``); the caller commits, with the publication or the decision. Returns the count.

    Each batch is claimed by one conditional UPDATE (``notified_status`` moves to ``status`` only where it
    differs) whose RETURNING rows are the messages to queue: a concurrent publication waits for the row locks,
    re-reads the condition and finds nothing left, so a candidate is never told the same status twice."""
    with force_locale("id"):
        texts = _texts(current_app.config.get("BASE_URL", "").rstrip("/"), run_id)
    due = [SelectionEntry.run_id == run_id, SelectionEntry.status.in_(texts),
           or_(SelectionEntry.notified_status.is_(None), SelectionEntry.notified_status != SelectionEntry.status)]
    if entry_ids is not None:
        due.append(SelectionEntry.id.in_(entry_ids))
    count, last = 0, 0
    while True:  # keyset batches by pool line: no cursor stays open while the updates run
        ids = db.session.execute(select(SelectionEntry.line, SelectionEntry.id)
                                 .where(*due, SelectionEntry.line > last)
                                 .order_by(SelectionEntry.line).limit(BATCH_SIZE)).all()
        if not ids:
            return count
        claimed = db.session.execute(
            update(SelectionEntry).where(SelectionEntry.id.in_([i for _line, i in ids]), *due)
            .values(notified_status=SelectionEntry.status)
            .returning(SelectionEntry.email, SelectionEntry.status),
            execution_options={"synchronize_session": False}).all()
        count += _flush([{"kind": KIND, "to_email": email, "enrollment_id": None, "created_at": now,
                          "params": {"subject": texts[status][0], "body": texts[status][1], "run_id": run_id,
                                     "status": status}}
                         for email, status in claimed])
        last = ids[-1][0]


def _flush(batch: list[dict]) -> int:
    if batch:
        db.session.execute(insert(OutboxMessage), batch)
    return len(batch)
