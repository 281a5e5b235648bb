"""The public announcement page of a published run: ``/pengumuman/<run>`` (no login)."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from lms.core.formatting import moment_text
from lms.core.regions import PROVINCES, WIB, kabkota_exists, kabkota_name, province_name
from lms.selection import announcement
from lms.selection.listing import ENTRY_STATUS_LABELS
from lms.selection.removal import REASON_LABELS

bp = Blueprint("announcement", __name__, url_prefix="/pengumuman")


def _page(text: str | None) -> int | None:
    text = (text or "1").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 6 or int(text) < 1:
        return None
    return int(text)


@bp.get("/<int:run_id>")
def show(run_id: int):
    run = announcement.published_run(run_id)
    provinsi = (request.args.get("provinsi") or "").strip()
    kabkota = (request.args.get("kabkota") or "").strip()
    page = _page(request.args.get("page"))
    error = None
    if provinsi and provinsi not in PROVINCES:
        error = _("Kode provinsi harus 2 digit kode provinsi yang dikenal.")
    elif kabkota and not kabkota_exists(kabkota):
        error = _("Kode kabupaten/kota harus 4 digit kode yang dikenal.")
    elif page is None:
        error = _("Nomor halaman harus bilangan bulat positif.")
    lines = None if error else announcement.lines_page(run, provinsi=provinsi or None, kabkota=kabkota or None,
                                                        page=page)
    return render_template(
        "selection/announcement.html", run=run, policy=announcement.policy_names(run),
        policy_file=f"lms/selection/policies/{run.policy_id}.yaml", placeholder=announcement.is_placeholder(run),
        reference_date=announcement.reference_date(run),
        quotas=announcement.quotas(run), lines=lines, changes=announcement.changes(run), error=error,
        provinsi=provinsi, kabkota=kabkota, provinces=sorted(PROVINCES.items()), kabkota_name=kabkota_name,
        province_name=province_name, status_labels=ENTRY_STATUS_LABELS, reason_labels=REASON_LABELS,
        published=moment_text(run.published_at, WIB), wib=lambda t: moment_text(t, WIB),
    ), 422 if error else 200
