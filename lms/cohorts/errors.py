"""Refusals shared by the learning domains."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from lms.core.errors import DomainError


class NotParticipant(DomainError):
    code = "not_participant"
    status = 403
    message = _l("Anda belum terdaftar sebagai peserta Sertifikasi Pendidik pada angkatan yang aktif.")


class WindowClosed(DomainError):
    """The learning window is not open: not yet, or no longer (423 Locked)."""

    code = "window_closed"
    status = 423
    message = _l("Masa pembelajaran angkatan Anda sudah berakhir. Materi tetap dapat dibaca.")


class WindowNotOpen(WindowClosed):
    message = _l("Masa pembelajaran angkatan Anda belum dimulai.")


class NotUnlocked(DomainError):
    code = "not_unlocked"
    status = 409
    message = _l("Bagian ini belum terbuka. Selesaikan bagian sebelumnya terlebih dahulu.")
