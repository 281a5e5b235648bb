"""Selection API: runs, a run's list in its current state, removal proposals and the LPMP's decisions,
and publishing a run.

A dinas user reads only the candidates of their own kab/kota (``listing.readable_regions``); LPMP and
admin_angkatan read all. The masked NIK is given to the roles of ``listing.NIK_ROLES`` only, the NIK in
clear never. ``placeholder_policy`` tells whether a run was built on stand-in (non-official) policy data.
"""

from __future__ import annotations

from flask import g, jsonify, request
from flask_babel import lazy_gettext as _l

from lms.api.auth import api_role_required
from lms.api.blueprint import bp
from lms.api.openapi import document
from lms.auth.models import User
from lms.cohorts.services import find_cohort
from lms.core.errors import Invalid
from lms.core.time import now_utc
from lms.extensions import db
from lms.selection import listing, removal, runs
from lms.selection.models import ENTRY_STATUSES, REMOVAL_REASONS, RemovalProposal, SelectionEntry, SelectionRun
from lms.selection.publish import publish

_AUTH = {"401": {"$ref": "#/components/responses/Unauthenticated"}, "403": {"$ref": "#/components/responses/Forbidden"}}
_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_RUN_ID = [{"name": "run_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
_PAGING = [{"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
           {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                          "maximum": listing.MAX_PER_PAGE}}]
_NOT_FOUND = {"404": {"description": "not_found", "content": _ERROR}}


def run_json(run: SelectionRun, counts: dict[str, int], cohort_code: str | None) -> dict:
    return {"id": run.id, "policy": run.policy_id, "input_hash": run.input_hash, "status": run.status,
            "params": run.params or {}, "counts": counts, "created_at": run.created_at.isoformat(),
            "published_cohort": cohort_code,
            "published_at": run.published_at.isoformat() if run.published_at else None,
            "error_count": len(run.errors or []), "failure_reason": run.failure_reason,
            "placeholder_policy": runs.uses_placeholder_policy(run)}


def entry_json(row: listing.EntryRow, *, with_nik: bool) -> dict:
    entry = row.entry
    body = {"id": entry.id, "run_id": entry.run_id, "line": entry.line, "rank": entry.rank, "nama": entry.nama,
            "kode_kabkota": entry.kode_kabkota, "quota_group": entry.quota_group, "status": entry.status,
            "alasan": entry.alasan, "pending_proposal_id": row.pending_proposal_id}
    if with_nik:
        body["nik_masked"] = row.nik_masked
    return body


def proposal_json(proposal: RemovalProposal, *, proposed_by: str | None = None, decided_by: str | None = None,
                  promoted_nama: str | None = None) -> dict:
    entry = proposal.entry
    return {"id": proposal.id, "entry_id": proposal.entry_id, "run_id": entry.run_id, "nama": entry.nama,
            "kode_kabkota": entry.kode_kabkota, "entry_status": entry.status, "reason": proposal.reason,
            "reason_label": str(removal.REASON_LABELS[proposal.reason]), "note": proposal.note,
            "status": proposal.status, "proposed_by": proposed_by, "proposed_at": proposal.proposed_at.isoformat(),
            "decided_by": decided_by, "decided_at": proposal.decided_at.isoformat() if proposal.decided_at else None,
            "decision_note": proposal.decision_note, "promoted_entry_id": proposal.promoted_entry_id,
            "promoted_nama": promoted_nama}


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Invalid(details={"body": "expected a JSON object"})
    return body


def _page_args() -> tuple[int, int]:
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    per_page = min(max(request.args.get("per_page", listing.PER_PAGE, type=int) or listing.PER_PAGE, 1),
                   listing.MAX_PER_PAGE)
    return page, per_page


def _paged(page: listing.Page, key: str, items: list) -> dict:
    return {"page": page.page, "per_page": page.per_page, "total": page.total, "pages": page.pages, key: items}


document("/selection/runs", "get", summary="Selection runs, newest first, with their current counts", tag="penetapan",
         responses={"200": {"description": "runs"}, **_AUTH})


@bp.get("/selection/runs")
@api_role_required(*listing.VIEW_ROLES)
def list_selection_runs():
    listing.readable_regions(g.api_user)
    return jsonify({"runs": [run_json(r.run, r.counts, r.cohort_code) for r in listing.runs_overview()]})


document("/selection/runs/{run_id}", "get", summary="One selection run: counts now, quotas per group",
         tag="penetapan", parameters=_RUN_ID,
         responses={"200": {"description": "The run, with quotas [{quota_group, quota, eligible}] and errors"},
                    **_NOT_FOUND, **_AUTH})


@bp.get("/selection/runs/<int:run_id>")
@api_role_required(*listing.VIEW_ROLES)
def get_selection_run(run_id: int):
    listing.readable_regions(g.api_user)
    run = listing.find_run(run_id)
    body = run_json(run, listing.current_counts([run])[run.id], listing.published_cohort_code(run))
    body["quotas"] = [{"quota_group": q.quota_group, "quota": q.quota, "eligible": q.eligible}
                      for q in runs.quota_rows(run)]
    body["errors"] = run.errors or []
    return jsonify(body)


document("/selection/runs/{run_id}/entries", "get", summary="A run's list in its current state (paged)",
         tag="penetapan",
         parameters=[*_RUN_ID, {"name": "status", "in": "query", "schema": {"type": "string",
                                                                            "enum": list(ENTRY_STATUSES)}},
                     {"name": "kode_kabkota", "in": "query", "schema": {"type": "string", "pattern": "^[0-9]{4}$"}},
                     *_PAGING],
         responses={"200": {"description": "entries, page, per_page, total, pages; nik_masked for dinas and LPMP. "
                                           "A dinas user gets their own kab/kota only (403 other_kabkota for "
                                           "another, 403 no_kabkota_scope when tied to none)"},
                    "422": {"description": "invalid filter", "content": _ERROR}, **_NOT_FOUND, **_AUTH})


@bp.get("/selection/runs/<int:run_id>/entries")
@api_role_required(*listing.VIEW_ROLES)
def list_selection_entries(run_id: int):
    scope = listing.readable_regions(g.api_user)
    run = listing.find_run(run_id)
    page, per_page = _page_args()
    kode = (request.args.get("kode_kabkota") or "").strip()
    with_nik = listing.shows_nik(g.api_user)
    kabkota = [kode] if kode else None
    listing.check_entry_filters(None, kabkota)
    result = listing.entries_page(run, status=request.args.get("status") or None,
                                  kabkota=listing.scoped_kabkota(scope, kabkota), page=page, per_page=per_page,
                                  with_nik=with_nik)
    return jsonify({"run_id": run.id, **_paged(result, "entries",
                                                [entry_json(r, with_nik=with_nik) for r in result.rows])})


_PROPOSAL_BODY = {"type": "object", "required": ["reason"], "properties": {
    "reason": {"type": "string", "enum": list(REMOVAL_REASONS)}, "note": {"type": "string", "maxLength": 2000}}}

document("/selection/entries/{entry_id}/removals", "post",
         summary="Propose removing a ditetapkan candidate (dinas, own kab/kota)", tag="penetapan",
         parameters=[{"name": "entry_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
         request_body={"required": True, "content": {"application/json": {"schema": _PROPOSAL_BODY}}},
         responses={"201": {"description": "The proposal, awaiting the LPMP's decision"},
                    "409": {"description": "conflict: not ditetapkan, or already proposed", "content": _ERROR},
                    "422": {"description": "invalid reason", "content": _ERROR}, **_NOT_FOUND, **_AUTH})


@bp.post("/selection/entries/<int:entry_id>/removals")
@api_role_required("dinas")
def propose_removal(entry_id: int):
    entry = removal.get_entry(entry_id)
    body = _body()
    reason, note = body.get("reason"), body.get("note") or ""
    if not isinstance(note, str):
        raise Invalid(details={"note": "expected a string"})
    proposal = removal.propose(entry, reason if isinstance(reason, str) else "", note, dinas=g.api_user,
                               now=now_utc())
    db.session.commit()
    return jsonify(proposal_json(proposal, proposed_by=g.api_user.email)), 201


document("/selection/removals", "get", summary="Removal proposals: all for LPMP, own kab/kota for dinas (paged)",
         tag="penetapan",
         parameters=[{"name": "status", "in": "query",
                      "schema": {"type": "string", "enum": list(listing.PROPOSAL_STATUSES)}}, *_PAGING],
         responses={"200": {"description": "removals, page, per_page, total, pages"},
                    "422": {"description": "invalid status", "content": _ERROR}, **_AUTH})


@bp.get("/selection/removals")
@api_role_required(*listing.VIEW_ROLES)
def list_removals():
    page, per_page = _page_args()
    result = listing.proposals_page(g.api_user, status=request.args.get("status") or None, page=page,
                                    per_page=per_page)
    items = [proposal_json(r.proposal, proposed_by=r.proposed_by, decided_by=r.decided_by,
                           promoted_nama=r.promoted_nama) for r in result.rows]
    return jsonify(_paged(result, "removals", items))


_DECISION_BODY = {"type": "object", "required": ["approve"], "properties": {
    "approve": {"type": "boolean"}, "note": {"type": "string", "maxLength": 2000}}}

document("/selection/removals/{proposal_id}/decision", "post",
         summary="Approve or reject a removal proposal (LPMP); approval promotes the next cadangan", tag="penetapan",
         parameters=[{"name": "proposal_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
         request_body={"required": True, "content": {"application/json": {"schema": _DECISION_BODY}}},
         responses={"200": {"description": "The decided proposal (promoted_entry_id when a cadangan moved up)"},
                    "409": {"description": "conflict: already decided", "content": _ERROR},
                    "422": {"description": "invalid body", "content": _ERROR}, **_NOT_FOUND, **_AUTH})


@bp.post("/selection/removals/<int:proposal_id>/decision")
@api_role_required("lpmp")
def decide_removal(proposal_id: int):
    proposal = removal.get_proposal(proposal_id)
    body = _body()
    approve, note = body.get("approve"), body.get("note") or ""
    errors = {}
    if not isinstance(approve, bool):
        errors["approve"] = "true (approve) or false (reject)"
    if not isinstance(note, str):
        errors["note"] = "expected a string"
    if errors:
        raise Invalid(details=errors)
    removal.decide(proposal, approve=approve, note=note, lpmp=g.api_user, now=now_utc())
    db.session.commit()
    promoted = db.session.get(SelectionEntry, proposal.promoted_entry_id) if proposal.promoted_entry_id else None
    proposer = proposal.proposed_by_id and db.session.get(User, proposal.proposed_by_id)
    return jsonify(proposal_json(proposal, proposed_by=proposer.email if proposer else None,
                                 decided_by=g.api_user.email, promoted_nama=promoted.nama if promoted else None))


_PUBLISH_BODY = {"type": "object", "required": ["cohort"], "properties": {
    "cohort": {"type": "string"},
    "allow_placeholder": {"type": "boolean", "description": "needed for a run on a placeholder policy; audited"}}}

document("/selection/runs/{run_id}/publication", "post",
         summary="Publish a run's ditetapkan list as a cohort's roster (admin_angkatan)", tag="penetapan",
         parameters=_RUN_ID,
         request_body={"required": True, "content": {"application/json": {"schema": _PUBLISH_BODY}}},
         responses={"200": {"description": "The roster import: {run_id, cohort, import_id, status, stats}"},
                    "409": {"description": "placeholder_policy: the run is on placeholder data and "
                                           "allow_placeholder is not true", "content": _ERROR},
                    "422": {"description": "invalid body, the run is not done, or roster_import_failed",
                            "content": _ERROR},
                    **_NOT_FOUND, **_AUTH})


@bp.post("/selection/runs/<int:run_id>/publication")
@api_role_required("admin_angkatan")
def publish_selection_run(run_id: int):
    run = listing.find_run(run_id)
    body = _body()
    code, allow = body.get("cohort"), body.get("allow_placeholder", False)
    errors = {}
    if not isinstance(code, str) or not code.strip():
        errors["cohort"] = "the code of the cohort to publish to"
    if not isinstance(allow, bool):
        errors["allow_placeholder"] = "true or false"
    if errors:
        raise Invalid(details=errors)
    job = publish(run, find_cohort(code.strip()), now=now_utc(), actor_id=g.api_user.id, allow_placeholder=allow)
    db.session.commit()
    body = {"run_id": run.id, "cohort": code.strip(), "import_id": job.id, "status": job.status,
            "stats": job.stats or {}, "placeholder_policy": runs.uses_placeholder_policy(run)}
    if job.status != "done":
        message = _l("Daftar ditetapkan tidak dapat diimpor ke angkatan %(code)s; lihat impor %(id)s.",
                     code=code.strip(), id=job.id)
        return jsonify({"code": "roster_import_failed", "message": str(message), **body}), 422
    return jsonify(body)
