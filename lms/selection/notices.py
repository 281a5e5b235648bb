"""The personal notice of a publication: every candidate of the run gets one outbox message with their status
(ditetapkan, cadangan, tidak memenuhi syarat, dihapus) and what to do next. Queued in the publication's own
transaction, once per candidate per publication; delivered by the outbox like every other message."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import insert, select

from lms.extensions import db
from lms.notifications.models import OutboxMessage
from lms.selection.models import SelectionEntry, SelectionRun

KIND = "selection_notice"
BATCH_SIZE = 2000


def _texts(base: str, run_id: int) -> dict[str, tuple[str, str]]:
    """status -> (subject, body), in the published list's language (the stored text's)."""
    mine, announcement = f"{base}/sertifikasi/penetapan-saya/", f"{base}/pengumuman/{run_id}"
    see = _("Lihat alasan dan rinciannya: %(mine)s. Pengumuman: %(announcement)s.", mine=mine,
            announcement=announcement)
    return {
        "ditetapkan": (_("Anda ditetapkan sebagai peserta PPG"),
                       _("Selamat, Anda ditetapkan sebagai peserta. Langkah berikutnya: masuk dengan akun "
                         "belajar.id ini dan buka Sertifikasi Pendidik untuk mulai belajar.") + " " + see),
        "cadangan": (_("Anda calon peserta cadangan PPG"),
                     _("Anda memenuhi syarat dan tercatat sebagai cadangan. Jika peserta yang ditetapkan "
                       "dihapus, cadangan dengan peringkat terbaik dinaikkan dan diberi tahu.") + " " + see),
        "tidak_memenuhi_syarat": (_("Hasil penetapan PPG: tidak memenuhi syarat"),
                                  _("Anda belum memenuhi syarat sebagai peserta. Jika data Anda keliru, "
                                    "perbaiki di Dapodik atau buat tiket di Pusat Bantuan.") + " " + see),
        "dihapus": (_("Hasil penetapan PPG: dihapus dari daftar"),
                    _("Anda dihapus dari daftar yang ditetapkan. Jika keputusan ini keliru, buat tiket di "
                      "Pusat Bantuan.") + " " + see),
    }


def queue_notices(run: SelectionRun, *, now: datetime) -> int:
    """One outbox message per candidate of ``run`` (the caller commits, with the publication). Returns the count."""
    with force_locale("id"):
        texts = _texts(current_app.config.get("BASE_URL", "").rstrip("/"), run.id)
    count, last = 0, 0
    while True:  # keyset batches by pool line: no cursor stays open while the inserts run
        rows = db.session.execute(select(SelectionEntry.line, SelectionEntry.email, SelectionEntry.status)
                                  .where(SelectionEntry.run_id == run.id, SelectionEntry.line > last,
                                         SelectionEntry.status.in_(texts))
                                  .order_by(SelectionEntry.line).limit(BATCH_SIZE)).all()
        if not rows:
            return count
        count += _flush([{"kind": KIND, "to_email": email, "enrollment_id": None, "created_at": now,
                          "params": {"subject": texts[status][0], "body": texts[status][1], "run_id": run.id,
                                     "status": status}}
                         for _line, email, status in rows])
        last = rows[-1][0]


def _flush(batch: list[dict]) -> int:
    if batch:
        db.session.execute(insert(OutboxMessage), batch)
    return len(batch)
