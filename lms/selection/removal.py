"""Removing a determined candidate (seed 003 §e): the dinas proposes for its own kab/kota, the LPMP decides.

On approval the entry becomes ``dihapus`` and the best-ranked ``cadangan`` of the same quota is promoted.
Every step is audited; the published list always shows the current state.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.auth.models import User
from lms.core import audit
from lms.core.errors import DomainError, Forbidden, Invalid, NotFound
from lms.extensions import db
from lms.selection.models import REMOVAL_REASONS, DinasRegion, RemovalProposal, SelectionEntry

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
    code = "conflict"
    status = 409
    message = _l("Usulan ini tidak dapat diproses dalam keadaannya sekarang.")


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
    if entry.status != "ditetapkan":
        raise ProposalConflict(_l("Hanya calon peserta berstatus ditetapkan yang dapat diusulkan dihapus."))
    if db.session.scalar(select(RemovalProposal.id).where(RemovalProposal.entry_id == entry.id,
                                                          RemovalProposal.status == "diajukan")):
        raise ProposalConflict(_l("Calon peserta ini sudah diusulkan dihapus dan menunggu keputusan LPMP."))
    proposal = RemovalProposal(entry_id=entry.id, reason=reason, note=(note or "").strip()[:2000], status="diajukan",
                               proposed_by_id=dinas.id, proposed_at=now)
    db.session.add(proposal)
    db.session.flush()
    audit.record("selection.removal.propose", "selection_entry", entry.id, actor_id=dinas.id, now=now,
                 data={"proposal_id": proposal.id, "reason": reason, "run_id": entry.run_id})
    return proposal


def decide(proposal: RemovalProposal, *, approve: bool, note: str, lpmp: User, now: datetime) -> RemovalProposal:
    if not lpmp.has_any_role("lpmp"):
        raise Forbidden(_l("Hanya LPMP yang dapat menyetujui atau menolak usulan penghapusan."))
    if proposal.status != "diajukan":
        raise ProposalConflict()
    proposal.status = "disetujui" if approve else "ditolak"
    proposal.decided_by_id, proposal.decided_at, proposal.decision_note = lpmp.id, now, (note or "").strip()[:2000]
    promoted = None
    if approve:
        entry = proposal.entry
        entry.status = "dihapus"
        with force_locale("id"):  # stored text is the published list's language, whoever clicked
            entry.alasan = f"Dihapus: {REASON_LABELS[proposal.reason]}"
        promoted = db.session.scalar(select(SelectionEntry).where(
            SelectionEntry.run_id == entry.run_id, SelectionEntry.quota_group == entry.quota_group,
            SelectionEntry.status == "cadangan").order_by(SelectionEntry.rank).limit(1).with_for_update())
        if promoted is not None:
            promoted.status = "ditetapkan"
            proposal.promoted_entry_id = promoted.id
    db.session.flush()
    audit.record("selection.removal." + ("approve" if approve else "reject"), "selection_entry", proposal.entry_id,
                 actor_id=lpmp.id, now=now,
                 data={"proposal_id": proposal.id, "promoted_entry_id": promoted.id if promoted else None})
    return proposal


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
