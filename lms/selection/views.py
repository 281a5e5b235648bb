"""Penetapan pages: the runs, a run's list in its current state, removal proposals and the LPMP's decisions,
publishing a run to a cohort, and starting a run from an uploaded pool.

Who does what: admin_angkatan starts and publishes runs; a dinas user proposes removals for its own
kab/kota; the LPMP approves or rejects. Everyone with one of these roles reads the lists. The masked NIK is
shown to dinas and LPMP users only (``listing.NIK_ROLES``); the NIK in clear never.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from datetime import date
from pathlib import Path, PurePosixPath

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.utils import secure_filename

from lms.auth import stash
from lms.cohorts.services import find_cohort
from lms.core.access import role_required
from lms.core.errors import DomainError, Invalid
from lms.core.formatting import moment_text
from lms.core.input import MAX_ID
from lms.core.regions import WIB, kabkota_name, province_name
from lms.core.time import now_utc
from lms.extensions import db
from lms.selection import listing, pools, removal, runs
from lms.selection.models import ENTRY_STATUSES, SelectionEntry, SelectionRun
from lms.selection.policy import POLICY_IDS, load_policy
from lms.selection.publish import publish

bp = Blueprint("selection", __name__, url_prefix="/penetapan")

#: Pools are run while the upload request waits: fine up to a few MB (a few thousand candidates).
#: Larger pools go through `lms selection run` on the server.
POOL_MAX_BYTES = 8 * 1024 * 1024
QUOTA_MAX_BYTES = 1024 * 1024
COMBINED_2016 = runs.COMBINED_2016
MINE = "saya"  # the kode_kabkota filter value meaning "the dinas user's own kab/kota"
RUN_FIELDS = ("policy", "total", "as_of", "pool_id")


@bp.context_processor
def _helpers() -> dict:
    return {"entry_labels": listing.ENTRY_STATUS_LABELS, "proposal_labels": listing.PROPOSAL_STATUS_LABELS,
            "run_labels": listing.RUN_STATUS_LABELS, "reason_labels": removal.REASON_LABELS,
            "kabkota_name": kabkota_name, "province_name": province_name,
            "placeholder_run": runs.uses_placeholder_policy,
            "wib": lambda instant: moment_text(instant, WIB) if instant else "–"}


def _whole_number(text: str | None) -> int | None:
    """ASCII digits within an ``integer`` column, else None (``str.isdigit`` also takes ``²`` and ``٣``)."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 10 or not 0 < int(text) <= MAX_ID:
        return None
    return int(text)


def _page_arg(source) -> int:
    return _whole_number(source.get("page")) or 1


def _cursors(source) -> dict:
    """The keyset pager's cursors (``after``/``before``) as given; a bad one is refused (422) by the listing."""
    return {key: source[key] for key in ("after", "before") if source.get(key)}


def _is_kode(text: str) -> bool:
    return len(text) == 4 and text.isascii() and text.isdigit()


def policy_choices() -> list[tuple[str, str]]:
    choices = [(policy_id, load_policy(policy_id).name) for policy_id in POLICY_IDS]
    return [*choices, (COMBINED_2016, _("Sertifikasi guru 2016: PF/PLPG atau SG-PPG menurut TMT pengangkatan"))]


# --- runs -----------------------------------------------------------------------------------------------------

@bp.get("/")
@role_required(*listing.VIEW_ROLES)
def index():
    kept = stash.get(NEW_RUN, now=now_utc())  # a refused run form redirected here: what was typed, the reasons
    return _render_index(kept["values"], kept["errors"]) if kept else _render_index({"policy": "pgt2024"}, {})


#: Stash scopes of the run form and of the LPMP decision form (``lms.auth.stash``).
NEW_RUN, DECISION = "selection-run", "selection-decision"


def _refuse(scope: str, state: dict, to: str):
    """POST-redirect-GET for a refused form: what was typed and the reasons wait for the page after the redirect."""
    return stash.refuse(scope, state, to, now=now_utc())


def _render_index(values: dict, errors: dict, status: int = 200):
    listing.readable_regions(current_user)
    admin = current_user.has_any_role("admin_angkatan")
    return render_template("selection/index.html", rows=listing.runs_overview(), policies=policy_choices(),
                           values=values, errors=errors, max_mb=POOL_MAX_BYTES // (1024 * 1024),
                           pools=pools.stored_pools() if admin else []), status


@bp.post("/jalankan")
@role_required("admin_angkatan")
def start_run():
    values = {name: (request.form.get(name) or "").strip() for name in RUN_FIELDS}
    before = db.session.scalar(select(func.max(SelectionRun.id))) or 0
    try:
        inputs = _run_inputs(values)
        run = runs.run_selection(inputs, now=now_utc(), actor_id=current_user.id)
    except Invalid as exc:
        return _refuse(NEW_RUN, {"values": values, "errors": exc.details or {"pool": str(exc)}},
                       url_for("selection.index"))
    except runs.SelectionInputError as exc:
        return _refuse(NEW_RUN, {"values": values, "errors": {
            "quota": _("Berkas tidak dapat dipakai: %(detail)s", detail=str(exc))}}, url_for("selection.index"))
    stash.drop(NEW_RUN)
    if run.id <= before:
        flash(_("Masukan yang sama sudah pernah ditetapkan: hasil #%(id)s ditampilkan.", id=run.id), "success")
    elif run.status == "done":
        flash(_("Penetapan #%(id)s selesai.", id=run.id), "success")
    elif run.failure_reason:
        flash(_("Penetapan #%(id)s gagal karena kesalahan tak terduga; tidak ada yang ditetapkan.", id=run.id),
              "error")
    else:
        flash(_("Penetapan #%(id)s gagal: ada baris yang salah atau ganda; tidak ada yang ditetapkan.", id=run.id),
              "error")
    return redirect(url_for("selection.run", run_id=run.id))


def _run_inputs(values: dict) -> runs.RunInputs:
    """Check the form and save the uploaded files; raises ``Invalid`` with every field's error."""
    errors: dict[str, str] = {}
    policy = values["policy"]
    kind = None
    if policy not in (*POLICY_IDS, COMBINED_2016):
        errors["policy"] = _("Pilih kebijakan dari daftar.")
    else:
        kind = load_policy("sg2016-pf-plpg" if policy == COMBINED_2016 else policy).quota.get("kind")
    total = None
    if values["total"]:
        total = _whole_number(values["total"])
        if total is None:
            errors["total"] = _("Kuota nasional harus bilangan bulat dari 1 sampai %(max)s.", max=MAX_ID)
    elif kind == "national_by_province":
        errors["total"] = _("Kebijakan ini membagi kuota nasional per provinsi: isi kuota nasional.")
    as_of = None
    if values["as_of"]:
        try:
            as_of = date.fromisoformat(values["as_of"])
        except ValueError:
            errors["as_of"] = _("Tanggal tidak valid: gunakan format TTTT-BB-HH (misalnya 2024-01-01).")
    pool_file, quota_file = request.files.get("pool"), request.files.get("quota")
    stored = _stored_pool(values["pool_id"], errors)
    if values["pool_id"] and _chosen(pool_file):
        errors["pool"] = _("Pilih salah satu: berkas baru atau kumpulan calon yang tersimpan.")
    elif not values["pool_id"] and not _chosen(pool_file):
        errors["pool"] = _("Pilih berkas calon peserta (JSON Lines, .jsonl) atau kumpulan calon yang tersimpan.")
    if kind == "kabkota_table" and not _chosen(quota_file):
        errors["quota"] = _("Kebijakan ini memakai kuota per kabupaten/kota: pilih berkas CSV kode_kabkota,kuota.")
    if errors:
        raise Invalid(details=errors)
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "selection"
    pool = pools.stored_file(stored) if stored else _save(pool_file, folder, POOL_MAX_BYTES, "pool", "pool.jsonl")
    quota = _save(quota_file, folder, QUOTA_MAX_BYTES, "quota", "kuota.csv") \
        if kind == "kabkota_table" and _chosen(quota_file) else None
    return runs.RunInputs(policy=policy, pool=pool, quota=quota, total=total, as_of=as_of,
                          pool_id=stored.id if stored else None, pool_name=stored.filename if stored else None)


def _stored_pool(value: str, errors: dict):
    """The stored pool the form chose, or None; an unknown one is an error of the field."""
    if not value:
        return None
    pool_id = _whole_number(value)
    if pool_id is None:
        errors["pool_id"] = _("Pilih kumpulan calon dari daftar.")
        return None
    try:
        pool = pools.find_pool(pool_id)
        pools.stored_file(pool)
    except DomainError as exc:
        errors["pool_id"] = str(exc)
        return None
    return pool


def _chosen(upload) -> bool:
    return bool(upload and upload.filename)


def _save(upload, folder: Path, max_bytes: int, field: str, fallback: str) -> Path:
    """Stream an upload to ``folder`` as ``<sha256 prefix>-<name>``; refuses a file over ``max_bytes``."""
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".upload-{uuid.uuid4().hex}"
    digest, size = hashlib.sha256(), 0
    try:
        with open(partial, "wb") as f:
            while chunk := upload.stream.read(1 << 16):
                size += len(chunk)
                if size > max_bytes:
                    raise Invalid(details={field: _(
                        "Berkas lebih dari %(mb)s MB. Jalankan penetapan berkas sebesar ini di server dengan "
                        "`lms selection run`.", mb=max_bytes // (1024 * 1024))})
                digest.update(chunk)
                f.write(chunk)
    except Invalid:
        partial.unlink(missing_ok=True)
        raise
    name = secure_filename(PurePosixPath(upload.filename.replace("\\", "/")).name) or fallback
    target = folder / f"{digest.hexdigest()[:16]}-{name}"
    os.replace(partial, target)
    return target


# --- one run: the list in its current state -------------------------------------------------------------------

def _filters(source, scope: frozenset[str] | None) -> tuple[str | None, str, list[str] | None]:
    """(status, the kab/kota choice as the filter form shows it, the kab/kota codes to filter on).

    A dinas user reads their own kab/kota only (``scope``): "all" means all of theirs, another one is refused.
    A user who reads everything and also acts for kab/kota sees theirs until they choose otherwise.
    """
    status = source.get("status") or None
    status = status if status in ENTRY_STATUSES else None
    choice = source.get("kode_kabkota")
    if scope is not None:
        choice = (choice or "").strip()
        if _is_kode(choice):
            return status, choice, listing.scoped_kabkota(scope, [choice])
        return status, MINE, sorted(scope)
    regions = sorted(removal.regions_of(current_user)) if current_user.has_any_role("dinas") else []
    if choice is None:
        choice = MINE if regions else ""
    choice = choice.strip()
    if choice == MINE:
        return status, (MINE if regions else ""), (regions or None)
    if _is_kode(choice):
        return status, choice, [choice]
    return status, "", None


def _render_run(run: SelectionRun, source, *, propose: dict | None = None, publish_state: dict | None = None,
                status: int = 200):
    scope = listing.readable_regions(current_user)
    chosen_status, chosen_kode, kabkota = _filters(source, scope)
    show_nik = listing.shows_nik(current_user)
    page = listing.entries_page(run, status=chosen_status, kabkota=kabkota, page=_page_arg(source),
                                with_nik=show_nik, **_cursors(source))
    is_dinas = current_user.has_any_role("dinas")
    # A dinas user's forms and "mine" filter: their kab/kota (read above for a dinas-only user).
    regions = scope if scope is not None else (removal.regions_of(current_user) if is_dinas else set())
    admin = current_user.has_any_role("admin_angkatan")
    return render_template(
        "selection/run.html", run=run, cohort_code=listing.published_cohort_code(run),
        counts=listing.current_counts([run])[run.id], quotas=runs.quota_rows(run), page=page,
        chosen_status=chosen_status, chosen_kode=chosen_kode, codes=listing.kabkota_codes(run, scope),
        regions=sorted(regions), scoped=scope is not None, is_dinas=is_dinas,
        anywhere="superadmin" in current_user.roles, show_nik=show_nik, mine=MINE, propose=propose or {},
        publish_state=publish_state or {"values": {}, "errors": {}},
        placeholder=runs.uses_placeholder_policy(run), cohorts=listing.cohort_choices() if admin else [],
        admin=admin), status


@bp.get("/<int:run_id>")
@role_required(*listing.VIEW_ROLES)
def run(run_id: int):
    now = now_utc()  # a refused publish or proposal redirected here: what was typed, the reasons
    return _render_run(listing.find_run(run_id), request.args,
                       propose=stash.get(f"selection-propose:{run_id}", now=now),
                       publish_state=stash.get(f"selection-publish:{run_id}", now=now))


@bp.post("/<int:run_id>/terbitkan")
@role_required("admin_angkatan")
def publish_run(run_id: int):
    selection_run = listing.find_run(run_id)
    values = {"cohort": (request.form.get("cohort") or "").strip(),
              "allow_placeholder": request.form.get("allow_placeholder") == "1"}
    try:
        if not values["cohort"]:
            raise Invalid(details={"cohort": _("Pilih angkatan tujuan.")})
        job = publish(selection_run, find_cohort(values["cohort"]), now=now_utc(), actor_id=current_user.id,
                      allow_placeholder=values["allow_placeholder"])
    except DomainError as exc:
        return _refuse(f"selection-publish:{run_id}", {"values": values, "errors": exc.details or {"cohort": str(exc)}},
                       url_for("selection.run", run_id=run_id) + "#terbitkan")
    stash.drop(f"selection-publish:{run_id}")
    if job.status != "done":
        flash(_("Daftar ditetapkan tidak dapat diimpor ke angkatan %(code)s; lihat baris yang salah di bawah.",
                code=values["cohort"]), "error")
        return redirect(url_for("admin.import_job", import_id=job.id))
    flash(_("Hasil penetapan #%(id)s diterbitkan sebagai daftar peserta angkatan %(code)s.", id=selection_run.id,
            code=values["cohort"]), "success")
    return redirect(url_for("selection.run", run_id=selection_run.id))


@bp.post("/entri/<int:entry_id>/usulan")
@role_required("dinas")
def propose_removal(entry_id: int):
    entry = removal.get_entry(entry_id)
    values = {"reason": (request.form.get("reason") or "").strip(), "note": (request.form.get("note") or "").strip()}
    back = {key: request.form.get(key) for key in ("status", "kode_kabkota", "page") if request.form.get(key)
            is not None}
    try:
        removal.propose(entry, values["reason"], values["note"], dinas=current_user, now=now_utc())
    except DomainError as exc:
        if exc.status == 403:
            raise
        state = {"entry_id": entry.id, "values": values, "errors": exc.details, "message": str(exc)}
        return _refuse(f"selection-propose:{entry.run_id}", state,
                       url_for("selection.run", run_id=entry.run_id, **back) + f"#entri-{entry.id}")
    stash.drop(f"selection-propose:{entry.run_id}")
    flash(_("Penghapusan %(nama)s diusulkan; menunggu keputusan LPMP.", nama=entry.nama), "success")
    return redirect(url_for("selection.run", run_id=entry.run_id, **back) + f"#entri-{entry.id}")


def entry_run(entry: SelectionEntry) -> SelectionRun:
    return listing.find_run(entry.run_id)


# --- proposals ------------------------------------------------------------------------------------------------

def _render_proposals(source, *, decision: dict | None = None, status: int = 200):
    chosen = source.get("status")
    if chosen is None:
        chosen = "diajukan" if current_user.has_any_role("lpmp") else ""
    chosen = chosen if chosen in listing.PROPOSAL_STATUSES else ""
    page = listing.proposals_page(current_user, status=chosen or None, page=_page_arg(source),
                                  **_cursors(source))
    show_nik = listing.shows_nik(current_user)
    masked = {row.proposal.id: listing.masked_nik(row.proposal.entry) for row in page.rows} if show_nik else {}
    return render_template("selection/proposals.html", page=page, chosen=chosen, masked=masked,
                           lpmp=current_user.has_any_role("lpmp"), decision=decision or {}), status


@bp.get("/usulan")
@role_required(*listing.VIEW_ROLES)
def proposals():
    return _render_proposals(request.args, decision=stash.get(DECISION, now=now_utc()))


@bp.post("/usulan/<int:proposal_id>/keputusan")
@role_required("lpmp")
def decide_removal(proposal_id: int):
    proposal = removal.get_proposal(proposal_id)
    choice, note = request.form.get("decision"), (request.form.get("note") or "").strip()
    back = {"status": request.form.get("status_filter") or ""}
    state = {"proposal_id": proposal.id, "values": {"note": note}}
    if choice not in ("setujui", "tolak"):
        state["errors"] = {"decision": _("Pilih Setujui atau Tolak.")}
        return _refuse(DECISION, state, url_for("selection.proposals", **back))
    if request.form.get("confirm") != "yes":
        # A decision cannot be undone: it is taken only with the box ticked (works without JavaScript).
        state["errors"] = {"confirm": _("Centang pernyataan bahwa Anda telah memeriksa usulan ini, lalu kirim lagi.")}
        return _refuse(DECISION, state, url_for("selection.proposals", **back))
    try:
        removal.decide(proposal, approve=choice == "setujui", note=note, lpmp=current_user, now=now_utc())
    except DomainError as exc:
        if exc.status == 403:
            raise
        state["errors"], state["message"] = exc.details, str(exc)
        return _refuse(DECISION, state, url_for("selection.proposals", **back))
    stash.drop(DECISION)
    entry = proposal.entry
    if choice == "tolak":
        flash(_("Usulan penghapusan %(nama)s ditolak.", nama=entry.nama), "success")
    elif proposal.promoted_entry_id:
        promoted = db.session.get(SelectionEntry, proposal.promoted_entry_id)
        flash(_("%(nama)s dihapus dari daftar ditetapkan; %(next)s (cadangan berikutnya) kini ditetapkan.",
                nama=entry.nama, next=promoted.nama), "success")
    else:
        flash(_("%(nama)s dihapus dari daftar ditetapkan; tidak ada cadangan di kelompok kuota ini.",
                nama=entry.nama), "success")
    return redirect(url_for("selection.proposals", **back))
