"""Reading and working offline: the service worker and the web app manifest served from the app's root scope, and
the list of a module's pages that "Simpan untuk offline" stores (lms/static/sw.js, lms/static/offline.js).

The service worker keeps the teacher pages it has fetched in a cache named after the curriculum's ``version``
(every import bumps it), so an edited curriculum is fetched afresh; the page script empties every cache and the
queue at logout and when another account logs in on the same browser.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, current_app, g, url_for
from flask_babel import gettext as _
from flask_login import current_user
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup
from marshmallow import Schema, fields

from lms.api.blueprint import bp as api_bp
from lms.api.schemas import errors
from lms.auth.sessions import browser_storage_key
from lms.cohorts.errors import NotUnlocked
from lms.cohorts.participant import api_participant_required
from lms.core.formatting import deadline_text
from lms.core.i18n import locale_name
from lms.core.markdown import render_markdown
from lms.core.regions import WIB
from lms.core.time import now_utc
from lms.learning import services as learning
from lms.modules.progress import compute_progress

bp = Blueprint("offline", __name__)

#: The bytes of a materi page around its body (layout, navigation, buttons), measured on the demo curriculum.
PAGE_BYTES = 6_000


@bp.get("/sw.js")
def service_worker():
    """The service worker, from the root so that its scope is the whole app; always revalidated."""
    script = (Path(current_app.static_folder) / "sw.js").read_bytes()
    return Response(script, mimetype="text/javascript",
                    headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"})


@bp.get("/manifest.webmanifest")
def manifest():
    response = current_app.json.response({
        "name": _("Sertifikasi Pendidik") + " · Ruang GTK", "short_name": _("Sertifikasi"),
        "start_url": url_for("dashboard.index"), "scope": "/", "display": "standalone", "lang": "id",
        "background_color": "#ffffff", "theme_color": "#1f4e8c",
        "icons": [{"src": url_for("static", filename="icon.svg"), "sizes": "any", "type": "image/svg+xml"}]})
    response.mimetype = "application/manifest+json"
    return response


class OfflinePage(Schema):
    url = fields.String(required=True, metadata={"description": "A page of the module, relative to the site"})
    bytes = fields.Integer(required=True, metadata={"description": "About how many bytes the page takes"})


class OfflineModule(Schema):
    module_id = fields.Integer(required=True)
    curriculum_version = fields.Integer(required=True, metadata={
        "description": "Bumped by every curriculum edit: pages stored at an older version are stale"})
    total_bytes = fields.Integer(required=True)
    pages = fields.List(fields.Nested(OfflinePage), required=True)


@api_bp.get("/modules/<int:module_id>/offline")
@api_bp.doc(tags=["belajar"], summary="The pages of a module to store for reading offline, with their sizes")
@api_participant_required
@api_bp.response(200, OfflineModule)
@errors(api_bp, 401, 403, 404, 409, 423)
def offline_module(module_id: int):
    learning.require_readable(g.enrollment, now_utc())
    module = learning.get_module(g.enrollment, module_id)
    if not learning.module_state(compute_progress(g.enrollment), module).unlocked:
        raise NotUnlocked()
    pages = [{"url": url_for("learning.module", module_id=module.id), "bytes": PAGE_BYTES}]
    pages += [{"url": url_for("learning.materi", materi_id=m.id),
               "bytes": PAGE_BYTES + len(render_markdown(m.body_md).encode())} for m in module.materi]
    return {"module_id": module.id, "curriculum_version": g.enrollment.cohort.curriculum.version,
            "total_bytes": sum(p["bytes"] for p in pages), "pages": pages}


@bp.app_context_processor
def _offline_status() -> dict:
    return {"offline_status": offline_status}


def offline_status() -> dict | None:
    """What the status line of a teacher page needs (None on other pages): no statement, the enrollment is loaded.
    Built once per request (a page asks twice: the manifest link and the status line)."""
    enrollment = g.get("enrollment")
    user = current_user._get_current_object()  # once: each use of the proxy looks the user up again
    if enrollment is None or not user.is_authenticated:
        return None
    locale = locale_name()
    key = (enrollment, locale)  # the messages follow the locale (``force_locale`` included)
    built = g.get("lms_offline_status")
    if built is not None and built[0] == key:
        return built[1]
    status = _status(enrollment, user.id, locale)
    g.lms_offline_status = (key, status)
    return status


def _status(enrollment, user_id: int, locale: str) -> dict:
    closes_at = enrollment.closes_at()
    return {
        "owner": browser_storage_key(user_id, current_app.config["SECRET_KEY"]),
        "version": enrollment.cohort.curriculum.version,
        "closes": closes_at.isoformat(),
        "messages": _messages(locale, closes_at),
        "messages_json": _messages_json(locale, closes_at),
    }


@lru_cache(maxsize=256)
def _messages_json(locale: str, closes_at) -> Markup:
    """``_messages(…)|tojson`` as the template wrote it (the template environment's JSON policy, HTML-safe): the
    same text for every participant of a cohort, so made once per process and locale, like the messages."""
    env = current_app.jinja_env
    return htmlsafe_json_dumps(_messages(locale, closes_at), dumps=env.policies["json.dumps_function"],
                               **env.policies["json.dumps_kwargs"])


@lru_cache(maxsize=256)
def _messages(locale: str, closes_at) -> dict:
    """The status line's messages in ``locale`` (the current one) for a deadline: the same for every participant
    of a cohort, so built once per process and locale (about twenty ``_()`` and a date format per page)."""
    return {
        "offline": _("Offline — {n} perubahan menunggu dikirim"),
        "offlineRead": _("Offline — halaman yang tersimpan tetap dapat dibaca"),
        "sending": _("Mengirim {n} perubahan…"),
        "saved": _("Semua perubahan tersimpan"),
        "notSent": _("{n} perubahan tidak terkirim: tetap ada di perangkat ini, lihat di bawah"),
        "queued": _("Tersimpan di perangkat ini; akan dikirim saat tersambung."),
        "deadline": _("Kirim sebelum batas waktu %(deadline)s: perubahan yang tiba setelahnya ditolak.",
                      deadline=deadline_text(closes_at, WIB)),
        "refused": _("Tidak terkirim:"),
        "conflict": _("Jurnal ini diubah di perangkat lain. Buka jurnal untuk memilih teks yang dipakai."),
        "openJournal": _("Buka jurnal"),
        "copy": _("Salin teks"),
        "copied": _("Teks tersalin"),
        "dismiss": _("Hapus dari perangkat ini"),
        "login": _("Sesi Anda berakhir. Masuk lagi agar perubahan dapat dikirim."),
        "store": _("Simpan untuk offline (sekitar {size})"),
        "storing": _("Menyimpan untuk offline…"),
        "stored": _("Tersimpan untuk offline: {n} halaman"),
        "storeFailed": _("Gagal menyimpan untuk offline. Coba lagi saat tersambung."),
    }
