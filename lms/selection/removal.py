"""Removing a determined candidate (seed 003 §e): the dinas proposes for its own kab/kota, the LPMP decides.

On approval the entry becomes ``dihapus`` and the best-ranked ``cadangan`` of the same quota is promoted.
Every step is audited; the published list always shows the current state.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from lms.auth.models import User
from lms.core import audit
from lms.core.errors import DomainError, Forbidden, Invalid, NotFound
from lms.extensions import db
from lms.selection import models
from lms.selection.models import REMOVAL_REASONS, DinasRegion, RemovalProposal, SelectionEntry, SelectionQuota
from lms.selection.notices import queue_notices

#: The longest note of a proposal or a decision (the forms' and the API's limit).
NOTE_MAX_LENGTH = 2000

REASON_LABELS = {
    "meninggal_dunia": _l("Meninggal dunia"),
    "sakit_permanen": _l("Sakit permanen yang menyebabkan tidak dapat melaksanakan tugas sebagai guru"),
    "pelanggaran_disiplin": _l("Melakukan pelanggaran disiplin"),
    "mutasi_jabatan_lain": _l("Mutasi ke jabatan selain guru"),
    "mutasi_kabkota_lain": _l("Mutasi ke kabupaten/kota lain"),
    "guru_tetap_kementerian_lain": _l("Mengajar sebagai guru tetap di kementerian lain"),
    "pensiun": _l("Pensiun"),
    "mengundurkan_diri": _l("Mengundurkan diri dari calon peserta"),
    "sudah_bersertifikat": _l("Sudah memiliki sertifikat pendidik"),
    "dokumen_tidak_sesuai": _l("Dokumen fisik tidak sesuai atau tidak memenuhi persyaratan"),
}


class ProposalConflict(DomainError):
    """The proposal or its candidate is no longer in the state the request assumed (e.g. decided already)."""

    code = "proposal_conflict"
    status = 409
    message = _l("Usulan ini sudah diputuskan atau tidak dapat diproses dalam keadaannya sekarang. "
                 "Muat ulang halaman untuk melihat keadaan terbaru.")


class DuplicateProposal(ProposalConflict):
    code = "proposal_exists"
    message = _l("Calon peserta ini sudah diusulkan dihapus dan menunggu keputusan LPMP.")


def regions_of(user: User) -> set[str]:
    return set(db.session.scalars(select(DinasRegion.kode_kabkota).where(DinasRegion.user_id == user.id)))


def assign_region(user: User, kode_kabkota: str) -> None:
    if db.session.get(DinasRegion, (user.id, kode_kabkota)) is None:
        db.session.add(DinasRegion(user_id=user.id, kode_kabkota=kode_kabkota))
        db.session.flush()


def propose(entry: SelectionEntry, reason: str, note: str, *, dinas: User, now: datetime) -> RemovalProposal:
    if not dinas.has_any_role("dinas"):
        raise Forbidden()
    if entry.kode_kabkota not in regions_of(dinas) and not dinas.has_any_role("superadmin"):
        raise Forbidden(_l("Anda hanya dapat mengusulkan penghapusan calon peserta di kabupaten/kota Anda."))
    if reason not in REMOVAL_REASONS:
        raise Invalid(details={"reason": str(_l("Pilih salah satu dari sepuluh alasan penghapusan."))})
    _check_note(note)
    # The entry row is locked (PostgreSQL): a concurrent approval removing it is waited for, and seen.
    status = db.session.scalar(select(SelectionEntry.status).where(SelectionEntry.id == entry.id).with_for_update())
    if status != "ditetapkan":
        raise ProposalConflict(_l("Hanya calon peserta berstatus ditetapkan yang dapat diusulkan dihapus."))
    if db.session.scalar(select(RemovalProposal.id).where(RemovalProposal.entry_id == entry.id,
                                                          RemovalProposal.status == "diajukan")):
        raise DuplicateProposal()
    proposal = RemovalProposal(entry_id=entry.id, reason=reason, note=(note or "").strip(), status="diajukan",
                               proposed_by_id=dinas.id, proposed_at=now)
    try:
        # The partial unique index (one open proposal per entry) decides between concurrent proposals.
        with db.session.begin_nested():
            db.session.add(proposal)
            db.session.flush()
    except IntegrityError as exc:
        raise DuplicateProposal() from exc
    audit.record("selection.removal.propose", "selection_entry", entry.id, actor_id=dinas.id, now=now,
                 data={"proposal_id": proposal.id, "reason": reason, "run_id": entry.run_id})
    return proposal


def decide(proposal: RemovalProposal, *, approve: bool, note: str, lpmp: User, now: datetime) -> RemovalProposal:
    """Approve or reject: one conditional UPDATE of the proposal; only the request that changed it acts.

    Raises ``ProposalConflict`` when the proposal was decided already (by this or a concurrent request); the
    caller rolls back, so a refusal changes nothing.
    """
    if not lpmp.has_any_role("lpmp"):
        raise Forbidden(_l("Hanya LPMP yang dapat menyetujui atau menolak usulan penghapusan."))
    _check_note(note)
    proposal_id, entry_id = proposal.id, proposal.entry_id
    decided = db.session.execute(
        update(RemovalProposal).where(RemovalProposal.id == proposal_id, RemovalProposal.status == "diajukan")
        .values(status="disetujui" if approve else "ditolak", decided_by_id=lpmp.id, decided_at=now,
                decision_note=(note or "").strip()),
        execution_options={"synchronize_session": False}).rowcount
    if decided != 1:
        raise ProposalConflict(_l("Usulan ini sudah diputuskan. Muat ulang halaman untuk melihat keputusannya."))
    promoted_id = _remove_and_promote(entry_id, proposal.reason, proposal_id, now=now) if approve else None
    db.session.expire(proposal)
    audit.record("selection.removal." + ("approve" if approve else "reject"), "selection_entry", entry_id,
                 actor_id=lpmp.id, now=now, data={"proposal_id": proposal_id, "promoted_entry_id": promoted_id})
    db.session.flush()
    return proposal


def _check_note(note: str) -> None:
    if len((note or "").strip()) > NOTE_MAX_LENGTH:
        raise Invalid(details={"note": str(_l("Keterangan paling banyak %(max)s karakter.", max=NOTE_MAX_LENGTH))})


def _remove_and_promote(entry_id: int, reason: str, proposal_id: int, *, now: datetime) -> int | None:
    """The entry becomes ``dihapus`` and the best-ranked ``cadangan`` of its quota group ``ditetapkan``; in a
    published run both are told at once (a personal notice each).

    The run's row is share-locked (a publication of the run, which locks it, is waited for), then the quota
    group's row is locked: two approvals in one group run one after the other, so each promotes a different
    cadangan and the group never holds more ``ditetapkan`` than its quota.
    """
    run_id, group = db.session.execute(select(SelectionEntry.run_id, SelectionEntry.quota_group)
                                       .where(SelectionEntry.id == entry_id)).one()
    published = db.session.scalar(select(models.SelectionRun.published_at).where(models.SelectionRun.id == run_id)
                                  .with_for_update(read=True))
    db.session.execute(select(SelectionQuota.quota).where(SelectionQuota.run_id == run_id,
                                                          SelectionQuota.quota_group == group).with_for_update())
    with force_locale("id"):  # stored text is the published list's language, whoever clicked
        alasan = f"Dihapus: {REASON_LABELS[reason]}"
    removed = db.session.execute(
        update(SelectionEntry).where(SelectionEntry.id == entry_id, SelectionEntry.status == "ditetapkan")
        .values(status="dihapus", alasan=alasan), execution_options={"synchronize_session": False}).rowcount
    if removed != 1:
        raise ProposalConflict(_l("Calon peserta ini tidak lagi berstatus ditetapkan."))
    promoted_id = db.session.scalar(select(SelectionEntry.id).where(
        SelectionEntry.run_id == run_id, SelectionEntry.quota_group == group, SelectionEntry.status == "cadangan")
        .order_by(SelectionEntry.rank, SelectionEntry.line).limit(1))
    if promoted_id is not None:
        moved = db.session.execute(
            update(SelectionEntry).where(SelectionEntry.id == promoted_id, SelectionEntry.status == "cadangan")
            .values(status="ditetapkan"), execution_options={"synchronize_session": False}).rowcount
        if moved != 1:  # cannot happen under the group lock; refuse rather than over-fill the quota
            raise ProposalConflict()
        db.session.execute(update(RemovalProposal).where(RemovalProposal.id == proposal_id)
                           .values(promoted_entry_id=promoted_id), execution_options={"synchronize_session": False})
    if published is not None:
        queue_notices(run_id, now=now, entry_ids=tuple(i for i in (entry_id, promoted_id) if i is not None))
    for entry in list(db.session.identity_map.values()):
        if isinstance(entry, SelectionEntry) and entry.id in (entry_id, promoted_id):
            db.session.expire(entry)
    return promoted_id


def get_entry(entry_id: int) -> SelectionEntry:
    entry = db.session.get(SelectionEntry, entry_id)
    if entry is None:
        raise NotFound()
    return entry


def get_proposal(proposal_id: int) -> RemovalProposal:
    proposal = db.session.get(RemovalProposal, proposal_id)
    if proposal is None:
        raise NotFound()
    return proposal
