"""The public announcement page of a published run: ``/pengumuman/<run>`` (no login), and the run's policy files
exactly as it read them: ``/pengumuman/<run>/kebijakan/<policy>.yaml``."""

from __future__ import annotations

import unicodedata

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _

from lms.core.formatting import moment_text
from lms.core.regions import PROVINCES, WIB, kabkota_exists, kabkota_name, province_name
from lms.selection import announcement, verification
from lms.selection.listing import ENTRY_STATUS_LABELS
from lms.selection.removal import REASON_LABELS

bp = Blueprint("announcement", __name__, url_prefix="/pengumuman")

#: The longest name searched (the stored names are at most 200 characters; nobody types more than this).
MAX_NAME_QUERY = 100


def _page(text: str | None) -> int | None:
    text = (text or "1").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 6 or int(text) < 1:
        return None
    return int(text)


def _name_error(nama: str) -> str | None:
    if len(nama) > MAX_NAME_QUERY:
        return _("Nama yang dicari paling banyak %(max)s karakter.", max=MAX_NAME_QUERY)
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") for c in nama):
        return _("Nama yang dicari berisi karakter yang tidak dapat dicari.")
    return None


@bp.get("/<int:run_id>")
def show(run_id: int):
    run = announcement.published_run(run_id)
    provinsi = (request.args.get("provinsi") or "").strip()
    kabkota = (request.args.get("kabkota") or "").strip()
    nama = " ".join((request.args.get("nama") or "").split())
    page = _page(request.args.get("page"))
    error = None
    if provinsi and provinsi not in PROVINCES:
        error = _("Kode provinsi harus 2 digit kode provinsi yang dikenal.")
    elif kabkota and not kabkota_exists(kabkota):
        error = _("Kode kabupaten/kota harus 4 digit kode yang dikenal.")
    elif page is None:
        error = _("Nomor halaman harus bilangan bulat positif.")
    else:
        error = _name_error(nama)
    lines = None if error else announcement.lines_page(run, provinsi=provinsi or None, kabkota=kabkota or None,
                                                        page=page, nama=nama or None,
                                                        **{key: request.args[key] for key in ("after", "before")
                                                           if request.args.get(key)})
    return render_template(
        "selection/announcement.html", run=run, policy=announcement.policy_names(run),
        policy_files=verification.policy_files(run), recipe=verification.recipe(run),
        placeholder=announcement.is_placeholder(run), reference_date=announcement.reference_date(run),
        quotas=announcement.quotas(run), lines=lines, changes=announcement.changes(run), error=error,
        provinsi=provinsi, kabkota=kabkota, nama=nama[:MAX_NAME_QUERY], provinces=sorted(PROVINCES.items()),
        kabkota_name=kabkota_name, province_name=province_name, status_labels=ENTRY_STATUS_LABELS,
        reason_labels=REASON_LABELS, published=moment_text(run.published_at, WIB),
        wib=lambda t: moment_text(t, WIB),
    ), 422 if error else 200


@bp.get("/<int:run_id>/kebijakan/<string(maxlength=40):policy_id>.yaml")
def policy(run_id: int, policy_id: str):
    """The policy file's bytes as the run read them; their SHA-256 is the one the announcement shows."""
    found = verification.policy_file(announcement.published_run(run_id), policy_id)
    return Response(found.content, mimetype="text/yaml", headers={
        "Content-Disposition": f"attachment; filename={found.policy_id}.yaml",
        "X-Content-SHA256": found.sha256, "Cache-Control": "public, max-age=300"})
