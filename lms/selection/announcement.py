"""The public announcement of a published run (``/pengumuman/<run>``): the policy, its reference date, the quota
per group, the input hash, the determined list (paged, filtered by province or kab/kota, searched by the start of
a name) and the later removals and promotions. Each line carries only name, school, kab/kota, status, rank and the
NIK's last four digits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from lms.core.errors import NotFound
from lms.core.nik import decrypt_nik
from lms.core.paging import Keyset, KeysetPage
from lms.extensions import db
from lms.selection.models import RemovalProposal, SelectionEntry, SelectionQuota, SelectionRun, name_key
from lms.selection.policy import POLICY_IDS, load_policy
from lms.selection.runs import uses_placeholder_policy

PER_PAGE = 50
#: The published list's order: by quota group and rank (every listed candidate has one), the pool line last;
#: the index (run_id, quota_group, rank, line) finds a page's first row whatever the position.
LINE_ORDER = Keyset(SelectionEntry.quota_group, SelectionEntry.rank, SelectionEntry.line, types=(str, int, int))
#: The statuses listed: the determined, and those removed after publication (shown as removed).
LISTED = ("ditetapkan", "dihapus")


@dataclass(frozen=True)
class Line:
    nama: str
    sekolah: str
    kode_kabkota: str
    status: str
    rank: int | None
    nik_last4: str


@dataclass(frozen=True)
class Change:
    """An approved removal after publication, with the cadangan it promoted (if any)."""

    nama: str
    kode_kabkota: str
    reason: str
    decided_at: datetime
    promoted_nama: str | None


def published_run(run_id: int) -> SelectionRun:
    run = db.session.get(SelectionRun, run_id)
    if run is None or run.published_at is None:
        raise NotFound()
    return run


def policy_names(run: SelectionRun) -> str:
    ids = ("sg2016-pf-plpg", "sg2016-ppg") if run.policy_id == "sg2016" else (run.policy_id,)
    return " / ".join(load_policy(p).name for p in ids if p in POLICY_IDS) or run.policy_id


def reference_date(run: SelectionRun) -> date | None:
    as_of = (run.params or {}).get("as_of")
    if as_of:
        return date.fromisoformat(as_of)
    ids = ("sg2016-pf-plpg",) if run.policy_id == "sg2016" else (run.policy_id,)
    return next((load_policy(p).reference_date for p in ids if p in POLICY_IDS), None)


def quotas(run: SelectionRun) -> list[SelectionQuota]:
    return list(db.session.scalars(select(SelectionQuota).where(SelectionQuota.run_id == run.id,
                                                                SelectionQuota.quota_group != "--")
                                   .order_by(SelectionQuota.quota_group)))


def lines_page(run: SelectionRun, *, provinsi: str | None, kabkota: str | None, page: int = 1,
               per_page: int = PER_PAGE, nama: str | None = None, after: str | None = None,
               before: str | None = None) -> KeysetPage:
    """``nama`` matches the start of a name (``name_key``: case and spacing do not matter), a range of the index
    (run_id, nama_key). ``after``/``before``: a neighbouring page's cursor (keyset: page 5,000 costs what page 1
    costs); without one, ``page`` is read by OFFSET (links made before cursors)."""
    conditions = [SelectionEntry.run_id == run.id, SelectionEntry.status.in_(LISTED)]
    if kabkota:
        conditions.append(SelectionEntry.kode_kabkota == kabkota)
    elif provinsi:
        conditions.append(SelectionEntry.kode_kabkota.like(f"{provinsi}%"))
    if nama:
        conditions.append(SelectionEntry.nama_key.like(_escape_like(name_key(nama)) + "%", escape="\\"))
    total = db.session.scalar(select(func.count()).select_from(SelectionEntry).where(*conditions))
    if after is None and before is None and (page - 1) * per_page >= total:
        # Past the end: no scan for an OFFSET that finds nothing.
        return KeysetPage([], page, per_page, total, None, None)
    query = LINE_ORDER.select(select(SelectionEntry).where(*conditions), page=page, per_page=per_page,
                              after=after, before=before)
    entries = list(db.session.scalars(query))
    found = LINE_ORDER.page(entries, page=page, per_page=per_page, total=total, after=after, before=before,
                            key=lambda e: [e.quota_group, e.rank, e.line])
    found.rows = [Line(e.nama, e.satuan_pendidikan or e.npsn, e.kode_kabkota, e.status, e.rank,
                       _last4(decrypt_nik(e.nik_encrypted))) for e in found.rows]
    return found


def changes(run: SelectionRun) -> list[Change]:
    """Approved removals decided after publication, oldest first, with the promoted cadangan's name."""
    removed, promoted = aliased(SelectionEntry), aliased(SelectionEntry)
    rows = db.session.execute(
        select(removed.nama, removed.kode_kabkota, RemovalProposal.reason, RemovalProposal.decided_at,
               promoted.nama)
        .join(removed, removed.id == RemovalProposal.entry_id)
        .outerjoin(promoted, promoted.id == RemovalProposal.promoted_entry_id)
        .where(removed.run_id == run.id, RemovalProposal.status == "disetujui",
               RemovalProposal.decided_at >= run.published_at)
        .order_by(RemovalProposal.decided_at, RemovalProposal.id)).all()
    return [Change(*row) for row in rows]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _last4(nik: str | None) -> str:
    return "*" * 12 + nik[-4:] if nik else "-"


def is_placeholder(run: SelectionRun) -> bool:
    return uses_placeholder_policy(run)
