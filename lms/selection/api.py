"""Selection API: runs, a run's list in its current state, removal proposals and the LPMP's decisions,
and publishing a run. Every operation is declared (``lms.selection.schemas``); the boundary commits.

A dinas user reads only the candidates of their own kab/kota (``listing.readable_regions``); LPMP and
admin_angkatan read all. The masked NIK is given to the roles of ``listing.NIK_ROLES`` only, the NIK in
clear never. ``placeholder_policy`` tells whether a run was built on stand-in (non-official) policy data.
"""

from __future__ import annotations

from flask import g, jsonify, url_for
from flask_babel import lazy_gettext as _l

from lms.api.auth import api_role_required
from lms.api.blueprint import bp
from lms.api.schemas import KEYSET_PAGING, errors
from lms.auth.models import User
from lms.cohorts.services import find_cohort
from lms.core.paging import KeysetPage
from lms.core.time import now_utc
from lms.extensions import db
from lms.selection import listing, removal, runs, schemas
from lms.selection.models import RemovalProposal, SelectionEntry, SelectionRun
from lms.selection.publish import publish

_TAG = ["penetapan"]


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


def _paged(page: KeysetPage, key: str, items: list, endpoint: str, **filters) -> dict:
    """A keyset page's answer: its items, the total and the link to the next page (its cursor and filters)."""
    following = (url_for(endpoint, **filters, page=page.page + 1, per_page=page.per_page, after=page.next_cursor)
                 if page.next_cursor else None)
    return {"page": page.page, "per_page": page.per_page, "total": page.total, "pages": page.pages, key: items,
            "next_cursor": page.next_cursor, "next": following}


@bp.get("/selection/runs")
@bp.doc(tags=_TAG, summary="Selection runs, newest first, with their current counts",
        description="403 no_kabkota_scope for a dinas user tied to no kab/kota.")
@api_role_required(*listing.VIEW_ROLES)
@bp.response(200, schemas.RunList)
@errors(bp, 401, 403)
def list_selection_runs():
    listing.readable_regions(g.api_user)
    return {"runs": [run_json(r.run, r.counts, r.cohort_code) for r in listing.runs_overview()]}


@bp.get("/selection/runs/<int:run_id>")
@bp.doc(tags=_TAG, summary="One selection run: counts now, quotas per group, the lines of a failed run")
@api_role_required(*listing.VIEW_ROLES)
@bp.response(200, schemas.RunDetail)
@errors(bp, 401, 403, 404)
def get_selection_run(run_id: int):
    listing.readable_regions(g.api_user)
    run = listing.find_run(run_id)
    body = run_json(run, listing.current_counts([run])[run.id], listing.published_cohort_code(run))
    body["quotas"] = [{"quota_group": q.quota_group, "quota": q.quota, "eligible": q.eligible}
                      for q in runs.quota_rows(run)]
    body["errors"] = run.errors or []
    return body


@bp.get("/selection/runs/<int:run_id>/entries")
@bp.doc(tags=_TAG, summary="A run's list in its current state (keyset-paged: follow `next`)",
        description="nik_masked for dinas and LPMP. A dinas user gets their own kab/kota only (403 other_kabkota "
                    "for another, 403 no_kabkota_scope when tied to none). " + KEYSET_PAGING)
@api_role_required(*listing.VIEW_ROLES)
@bp.arguments(schemas.EntriesQuery, location="query", as_kwargs=True)
@bp.response(200, schemas.EntryPage)
@errors(bp, 401, 403, 404)
def list_selection_entries(run_id: int, page: int, per_page: int, status: str | None = None,
                           kode_kabkota: str | None = None, after: str | None = None):
    scope = listing.readable_regions(g.api_user)
    run = listing.find_run(run_id)
    with_nik = listing.shows_nik(g.api_user)
    kabkota = listing.scoped_kabkota(scope, [kode_kabkota] if kode_kabkota else None)
    result = listing.entries_page(run, status=status, kabkota=kabkota, page=page, per_page=per_page,
                                  with_nik=with_nik, after=after)
    return {"run_id": run.id, **_paged(result, "entries", [entry_json(r, with_nik=with_nik) for r in result.rows],
                                       "api.list_selection_entries", run_id=run.id, status=status,
                                       kode_kabkota=kode_kabkota)}


@bp.post("/selection/entries/<int:entry_id>/removals")
@bp.doc(tags=_TAG, summary="Propose removing a ditetapkan candidate (dinas, own kab/kota)",
        description="409 proposal_conflict when the candidate is not ditetapkan, proposal_exists when a proposal "
                    "awaits the LPMP's decision.")
@api_role_required("dinas")
@bp.arguments(schemas.ProposalIn)
@bp.response(201, schemas.Proposal)
@errors(bp, 401, 403, 404, 409)
def propose_removal(body: dict, entry_id: int):
    entry = removal.get_entry(entry_id)
    proposal = removal.propose(entry, body["reason"], body["note"], dinas=g.api_user, now=now_utc())
    return proposal_json(proposal, proposed_by=g.api_user.email)


@bp.get("/selection/removals")
@bp.doc(tags=_TAG, summary="Removal proposals: all for LPMP, own kab/kota for dinas (keyset-paged: follow `next`)",
        description=KEYSET_PAGING)
@api_role_required(*listing.VIEW_ROLES)
@bp.arguments(schemas.RemovalsQuery, location="query", as_kwargs=True)
@bp.response(200, schemas.ProposalPage)
@errors(bp, 401, 403)
def list_removals(page: int, per_page: int, status: str | None = None, after: str | None = None):
    result = listing.proposals_page(g.api_user, status=status, page=page, per_page=per_page, after=after)
    items = [proposal_json(r.proposal, proposed_by=r.proposed_by, decided_by=r.decided_by,
                           promoted_nama=r.promoted_nama) for r in result.rows]
    return _paged(result, "removals", items, "api.list_removals", status=status)


@bp.post("/selection/removals/<int:proposal_id>/decision")
@bp.doc(tags=_TAG, summary="Approve or reject a removal proposal (LPMP); approval promotes the next cadangan",
        description="409 proposal_conflict when the proposal was decided already.")
@api_role_required("lpmp")
@bp.arguments(schemas.DecisionIn)
@bp.response(200, schemas.Proposal)
@errors(bp, 401, 403, 404, 409)
def decide_removal(body: dict, proposal_id: int):
    proposal = removal.get_proposal(proposal_id)
    removal.decide(proposal, approve=body["approve"], note=body["note"], lpmp=g.api_user, now=now_utc())
    promoted = db.session.get(SelectionEntry, proposal.promoted_entry_id) if proposal.promoted_entry_id else None
    proposer = proposal.proposed_by_id and db.session.get(User, proposal.proposed_by_id)
    return proposal_json(proposal, proposed_by=proposer.email if proposer else None,
                         decided_by=g.api_user.email, promoted_nama=promoted.nama if promoted else None)


@bp.post("/selection/runs/<int:run_id>/publication")
@bp.doc(tags=_TAG, summary="Publish a run's ditetapkan list as a cohort's roster (admin_angkatan)",
        description="409 placeholder_policy: the run is on placeholder data and allow_placeholder is not true. "
                    "422 invalid (the body, or the run is not done) or roster_import_failed (with the import's id "
                    "and stats).")
@api_role_required("admin_angkatan")
@bp.arguments(schemas.PublicationIn)
@bp.response(200, schemas.Publication)
@errors(bp, 401, 403, 404, 409)
@bp.alt_response(422, schema=schemas.PublicationFailed,
                 description="invalid, or roster_import_failed: the roster import refused the list")
def publish_selection_run(body: dict, run_id: int):
    run = listing.find_run(run_id)
    code = body["cohort"].strip()
    job = publish(run, find_cohort(code), now=now_utc(), actor_id=g.api_user.id,
                  allow_placeholder=body["allow_placeholder"])
    result = {"run_id": run.id, "cohort": code, "import_id": job.id, "status": job.status,
              "stats": job.stats or {}, "placeholder_policy": runs.uses_placeholder_policy(run)}
    if job.status != "done":
        message = _l("Daftar ditetapkan tidak dapat diimpor ke angkatan %(code)s; lihat impor %(id)s.",
                     code=code, id=job.id)
        failed = schemas.PublicationFailed().dump({"code": "roster_import_failed", "message": str(message),
                                                   **result})
        return jsonify(failed), 422
    return result
