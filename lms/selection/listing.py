"""What the selection pages and API read: runs with their current counts, a page of a run's list, the
removal proposals a user may see. Each function is one or two fixed SQL statements, whatever the sizes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, literal, select
from sqlalchemy.orm import aliased, contains_eager

from lms.auth.models import User
from lms.cohorts.models import Cohort
from lms.core.errors import Forbidden, Invalid, NotFound
from lms.core.nik import decrypt_nik, mask_nik
from lms.core.paging import Keyset, KeysetPage
from lms.extensions import db
from lms.selection.models import ENTRY_STATUSES, RemovalProposal, SelectionEntry, SelectionRun
from lms.selection.removal import regions_of

PER_PAGE = 50
MAX_PER_PAGE = 500
#: A run's list in output order: by quota group and rank, then the ineligible (no rank) by quota group and line
#: (a line of the pool file is unique in its run). NULL compares as nothing in a row value, hence the COALESCE.
ENTRY_ORDER = Keyset(SelectionEntry.rank.is_(None), SelectionEntry.quota_group,
                     func.coalesce(SelectionEntry.rank, literal(0)), SelectionEntry.line,
                     types=(bool, str, int, int))
#: Proposals, newest first; the index (proposed_at, id) finds a page's first row.
PROPOSAL_ORDER = Keyset(RemovalProposal.proposed_at, RemovalProposal.id, types=(datetime, int), descending=True)
#: Who reads the lists: admin_angkatan runs and publishes, dinas proposes removals, LPMP decides.
VIEW_ROLES = ("admin_angkatan", "dinas", "lpmp")
#: Who sees the masked NIK (first four and last four digits): the dinas and LPMP check the candidate's
#: documents when they propose or decide a removal. The NIK in clear is never shown on a page or in the API.
NIK_ROLES = ("dinas", "lpmp")
PROPOSAL_STATUSES = ("diajukan", "disetujui", "ditolak")

ENTRY_STATUS_LABELS = {"ditetapkan": _l("Ditetapkan"), "cadangan": _l("Cadangan"),
                       "tidak_memenuhi_syarat": _l("Tidak memenuhi syarat"), "dihapus": _l("Dihapus")}
PROPOSAL_STATUS_LABELS = {"diajukan": _l("Menunggu keputusan LPMP"), "disetujui": _l("Disetujui"),
                          "ditolak": _l("Ditolak")}
RUN_STATUS_LABELS = {"running": _l("Sedang diproses"), "done": _l("Selesai"), "failed": _l("Gagal")}


class NoKabkotaScope(Forbidden):
    code = "no_kabkota_scope"
    message = _l("Akun dinas Anda belum ditautkan ke kabupaten/kota mana pun, sehingga belum dapat melihat data "
                 "penetapan. Minta admin menautkannya (lms selection assign-region EMAIL KODE_KABKOTA).")


class OtherKabkota(Forbidden):
    code = "other_kabkota"
    message = _l("Anda hanya dapat melihat calon peserta di kabupaten/kota Anda.")


def readable_regions(viewer: User) -> frozenset[str] | None:
    """The kab/kota whose candidates ``viewer`` may read: ``None`` for every one (LPMP, admin_angkatan and
    superadmin), else the dinas user's own. A dinas user tied to none reads nothing: ``NoKabkotaScope``."""
    if viewer.has_any_role("lpmp", "admin_angkatan"):
        return None
    regions = frozenset(regions_of(viewer))
    if not regions:
        raise NoKabkotaScope()
    return regions


def scoped_kabkota(scope: frozenset[str] | None, requested: list[str] | None) -> list[str] | None:
    """The kab/kota filter to apply: the request's, within ``scope``; all of the scope when none is asked."""
    if scope is None:
        return requested
    if not requested:
        return sorted(scope)
    if set(requested) - scope:
        raise OtherKabkota()
    return requested


@dataclass
class RunRow:
    run: SelectionRun
    cohort_code: str | None
    counts: dict[str, int]


@dataclass
class EntryRow:
    entry: SelectionEntry
    #: The id of the proposal awaiting the LPMP's decision, if any.
    pending_proposal_id: int | None
    nik_masked: str | None


@dataclass
class ProposalRow:
    proposal: RemovalProposal
    proposed_by: str | None
    decided_by: str | None
    promoted_nama: str | None


def shows_nik(user: User) -> bool:
    return user.has_any_role(*NIK_ROLES)


def find_run(run_id: int) -> SelectionRun:
    run = db.session.get(SelectionRun, run_id)
    if run is None:
        raise NotFound(_l("Hasil penetapan %(id)s tidak ditemukan.", id=run_id))
    return run


def current_counts(runs: list[SelectionRun]) -> dict[int, dict[str, int]]:
    """Counts by status as they are now: the counts stored when each run finished, moved by the approved
    removals since (each one entry to ``dihapus``, and a ``cadangan`` promoted, or a seat left empty).

    One statement over the proposals, instead of counting every entry of every run on each page view.
    """
    ids = [run.id for run in runs]
    moved = {run_id: (approved, promoted) for run_id, approved, promoted in db.session.execute(
        select(SelectionEntry.run_id, func.count(RemovalProposal.id), func.count(RemovalProposal.promoted_entry_id))
        .join(SelectionEntry, SelectionEntry.id == RemovalProposal.entry_id)
        .where(SelectionEntry.run_id.in_(ids), RemovalProposal.status == "disetujui")
        .group_by(SelectionEntry.run_id))} if ids else {}
    result = {}
    for run in runs:
        counts = {status: int(n) for status, n in (run.counts or {}).items()}
        approved, promoted = moved.get(run.id, (0, 0))
        if approved:
            counts["dihapus"] = counts.get("dihapus", 0) + approved
            counts["cadangan"] = counts.get("cadangan", 0) - promoted
            counts["ditetapkan"] = counts.get("ditetapkan", 0) - (approved - promoted)
        result[run.id] = counts
    return result


def runs_overview() -> list[RunRow]:
    """Every run, newest first, with its published cohort's code and current counts (two statements)."""
    rows = db.session.execute(select(SelectionRun, Cohort.code)
                              .outerjoin(Cohort, Cohort.id == SelectionRun.published_cohort_id)
                              .order_by(SelectionRun.id.desc())).all()
    counts = current_counts([run for run, _code in rows])
    return [RunRow(run, code, counts[run.id]) for run, code in rows]


def published_cohort_code(run: SelectionRun) -> str | None:
    if run.published_cohort_id is None:
        return None
    return db.session.scalar(select(Cohort.code).where(Cohort.id == run.published_cohort_id))


def kabkota_codes(run: SelectionRun, scope: frozenset[str] | None = None) -> list[str]:
    """The kab/kota that occur in a run (for the filter), from the (run_id, kode_kabkota) index."""
    query = select(SelectionEntry.kode_kabkota).distinct().where(SelectionEntry.run_id == run.id)
    if scope is not None:
        query = query.where(SelectionEntry.kode_kabkota.in_(sorted(scope)))
    return list(db.session.scalars(query.order_by(SelectionEntry.kode_kabkota)))


def check_entry_filters(status: str | None, kabkota: list[str] | None) -> None:
    errors = {}
    if status and status not in ENTRY_STATUSES:
        errors["status"] = str(_l("Status tidak dikenal. Pilihan: %(s)s", s=", ".join(ENTRY_STATUSES)))
    if kabkota and any(len(code) != 4 or not (code.isascii() and code.isdigit()) for code in kabkota):
        errors["kode_kabkota"] = str(_l("Kode kabupaten/kota harus 4 digit."))
    if errors:
        raise Invalid(details=errors)


def entries_page(run: SelectionRun, *, status: str | None, kabkota: list[str] | None, page: int = 1,
                 per_page: int = PER_PAGE, with_nik: bool = False, after: str | None = None,
                 before: str | None = None) -> KeysetPage:
    """One page of a run's list in its current state, in output order (quota group, rank, then the
    ineligible by line), each row with its pending removal proposal: a count and one query. ``after``/``before``:
    a neighbouring page's cursor (keyset); without one, ``page`` is read by OFFSET (links made before cursors)."""
    check_entry_filters(status, kabkota)
    conditions = [SelectionEntry.run_id == run.id]
    if status:
        conditions.append(SelectionEntry.status == status)
    if kabkota:
        conditions.append(SelectionEntry.kode_kabkota.in_(kabkota))
    total = db.session.scalar(select(func.count()).select_from(SelectionEntry).where(*conditions))
    pending = aliased(RemovalProposal)
    query = (select(SelectionEntry, pending.id)
             .outerjoin(pending, and_(pending.entry_id == SelectionEntry.id, pending.status == "diajukan"))
             .where(*conditions))
    query = ENTRY_ORDER.select(query, page=page, per_page=per_page, after=after, before=before)
    rows = [EntryRow(entry, proposal_id, masked_nik(entry) if with_nik else None)
            for entry, proposal_id in db.session.execute(query)]
    return ENTRY_ORDER.page(rows, page=page, per_page=per_page, total=total, after=after, before=before,
                            key=lambda row: entry_key(row.entry))


def entry_key(entry: SelectionEntry) -> list:
    """``entry``'s place in ``ENTRY_ORDER``."""
    return [entry.rank is None, entry.quota_group, entry.rank or 0, entry.line]


def masked_nik(entry: SelectionEntry) -> str | None:
    nik = decrypt_nik(entry.nik_encrypted)
    return mask_nik(nik) if nik else None


def proposals_page(viewer: User, *, status: str | None, page: int = 1, per_page: int = PER_PAGE,
                   after: str | None = None, before: str | None = None) -> KeysetPage:
    """The proposals ``viewer`` may see, newest first: every one for LPMP and admin_angkatan; for a dinas
    user, those on candidates of their kab/kota (``readable_regions``). A count and one query; ``after``/
    ``before``: a neighbouring page's cursor (keyset), else ``page`` by OFFSET."""
    if status and status not in PROPOSAL_STATUSES:
        raise Invalid(details={"status": str(_l("Status tidak dikenal. Pilihan: %(s)s",
                                                s=", ".join(PROPOSAL_STATUSES)))})
    conditions = []
    if status:
        conditions.append(RemovalProposal.status == status)
    scope = readable_regions(viewer)
    if scope is not None:
        conditions.append(SelectionEntry.kode_kabkota.in_(sorted(scope)))
    total = db.session.scalar(select(func.count()).select_from(RemovalProposal)
                              .join(SelectionEntry, SelectionEntry.id == RemovalProposal.entry_id).where(*conditions))
    proposer, decider, promoted = aliased(User), aliased(User), aliased(SelectionEntry)
    query = (select(RemovalProposal, proposer.email, decider.email, promoted.nama)
             .join(RemovalProposal.entry).options(contains_eager(RemovalProposal.entry))
             .outerjoin(proposer, proposer.id == RemovalProposal.proposed_by_id)
             .outerjoin(decider, decider.id == RemovalProposal.decided_by_id)
             .outerjoin(promoted, promoted.id == RemovalProposal.promoted_entry_id)
             .where(*conditions))
    query = PROPOSAL_ORDER.select(query, page=page, per_page=per_page, after=after, before=before)
    rows = [ProposalRow(p, by, decided, nama) for p, by, decided, nama in db.session.execute(query)]
    return PROPOSAL_ORDER.page(rows, page=page, per_page=per_page, total=total, after=after, before=before,
                               key=lambda row: [row.proposal.proposed_at, row.proposal.id])


def cohort_choices() -> list[tuple[str, str]]:
    return [(code, name) for code, name in db.session.execute(
        select(Cohort.code, Cohort.name).order_by(Cohort.learning_opens_at.desc(), Cohort.code))]
