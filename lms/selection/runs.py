"""Selection runs: a pool and a policy in, the determined list out; stored, and reproducible by input hash.

The pool is streamed: each candidate is checked and given its sort key in Python, then written to the
``selection_entries`` table in batches. Duplicates, quotas and ranks are set-based SQL (a window function),
so memory does not grow with the pool.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from importlib import resources
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import case, delete, func, insert, select, update

from lms.core import csvsafe
from lms.core.input import MAX_ID
from lms.core.nik import decrypt_nik, encrypt_nik, fernet, nik_hash
from lms.core.regions import kabkota_exists
from lms.extensions import db
from lms.selection.candidate import read_pool_file
from lms.selection.models import SelectionEntry, SelectionQuota, SelectionRun, name_key
from lms.selection.policy import POLICY_IDS, load_policy
from lms.selection.ranking import allocate_national, sort_key
from lms.selection.rules import policy_for_2016, unmet

BATCH_SIZE = 2000
MAX_REPORTED_ERRORS = 1000
#: `--policy sg2016`: each candidate gets the 2016 policy its appointment date gives; they share one ordering.
COMBINED_2016 = "sg2016"
OUTPUT_COLUMNS = ("rank", "nik", "nama", "kode_kabkota", "status", "alasan")
#: The first line of an export of a run built on a placeholder policy (the file's language, like ``alasan``);
#: no comma or quote, so that a CSV reader sees one cell. Readers skip lines that begin with ``#``.
PLACEHOLDER_CSV_WARNING = ("# PERINGATAN: penetapan ini memakai kebijakan dengan data placeholder (bukan data resmi: "
                           "daftar kabupaten/kota dibuat otomatis) - jangan dipakai sebagai daftar resmi.")


class SelectionInputError(ValueError):
    """An input the run cannot start with (policy, quota file, total); the message is for the operator."""


@dataclass
class RunInputs:
    policy: str
    pool: Path
    quota: Path | None = None
    total: int | None = None
    as_of: date | None = None
    #: The stored pool (``selection_pools``) the file is, if it is one.
    pool_id: int | None = None
    #: The pool's name as the run shows it (default: the file's name).
    pool_name: str | None = None
    #: SHA-256 of the pool file alone (set by ``digest``): shown so a holder of the pool can check it is the one.
    pool_sha256: str | None = None

    def digest(self) -> str:
        """SHA-256 over: each policy file's bytes (in ``_policy_ids`` order), then ``\\0file\\0`` and the pool
        file's bytes, ``\\0file\\0`` and the quota file's bytes (nothing when there is none), then
        ``\\0<policy>\\0<total>\\0<as_of>`` (``None`` for a missing value). The announcement explains it."""
        h, pool = hashlib.sha256(), hashlib.sha256()
        for policy_id in _policy_ids(self.policy):
            h.update(policy_bytes(policy_id))
        for path in (self.pool, self.quota):
            h.update(b"\x00file\x00")
            if path is not None:
                with open(path, "rb") as f:
                    while chunk := f.read(1 << 20):
                        h.update(chunk)
                        if path is self.pool:
                            pool.update(chunk)
        self.pool_sha256 = pool.hexdigest()
        h.update(f"\x00{self.policy}\x00{self.total}\x00{self.as_of}".encode())
        return h.hexdigest()


def policy_bytes(policy_id: str) -> bytes:
    return resources.files("lms.selection").joinpath(f"policies/{policy_id}.yaml").read_bytes()


def _policy_ids(policy: str) -> tuple[str, ...]:
    if policy == COMBINED_2016:
        return ("sg2016-pf-plpg", "sg2016-ppg")
    if policy not in POLICY_IDS:
        raise SelectionInputError(_("kebijakan %(policy)s tidak dikenal; pilihan: %(known)s", policy=policy,
                                    known=", ".join((*POLICY_IDS, COMBINED_2016))))
    return (policy,)


def read_quota_table(path: Path) -> dict[str, int]:
    """``kode_kabkota,kuota`` rows; every bad row is reported by line, and nothing is read from a bad file."""
    table, errors = {}, []
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            if not reader.fieldnames or {"kode_kabkota", "kuota"} - set(reader.fieldnames):
                raise SelectionInputError(_("berkas kuota perlu kolom kode_kabkota,kuota"))
            for row in reader:
                code, quota = (row["kode_kabkota"] or "").strip(), (row["kuota"] or "").strip()
                if not kabkota_exists(code) or not _count(quota):
                    errors.append(_("baris %(line)s: %(code)s,%(quota)s", line=reader.line_num, code=code[:8] or "-",
                                    quota=quota[:12] or "-"))
                else:
                    table[code] = int(quota)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise SelectionInputError(_("berkas kuota bukan CSV UTF-8 yang dapat dibaca")) from exc
    if errors:
        raise SelectionInputError(_("baris kuota salah: %(rows)s", rows="; ".join(errors[:20])))
    return table


def _count(text: str) -> bool:
    """ASCII digits (``str.isdigit`` also takes ``²`` and other scripts' digits) within an ``integer`` column."""
    return text.isascii() and text.isdigit() and int(text) <= MAX_ID


def run_selection(inputs: RunInputs, *, now: datetime, actor_id: int | None = None) -> SelectionRun:
    """Run (or return the stored run with the same input hash). Commits as it goes: it is a job.

    Bad inputs found before the run exists raise ``SelectionInputError``. Once the run exists, any error
    marks it ``failed`` with the reason (``mark_failed``) and the failed run is returned.
    """
    policy_ids = _policy_ids(inputs.policy)
    policies = {p: load_policy(p) for p in policy_ids}
    kind = policies[policy_ids[0]].quota.get("kind")
    if kind == "kabkota_table" and inputs.quota is None:
        raise SelectionInputError(_("kebijakan ini membagi kursi per kabupaten/kota: berikan berkas kuota "
                                    "(--quota FILE, kolom kode_kabkota,kuota)"))
    if kind == "national_by_province" and not inputs.total:
        raise SelectionInputError(_("kebijakan ini membagi kuota nasional: berikan kuota nasional (--total N)"))
    if inputs.total is not None and not 0 < inputs.total <= MAX_ID:
        raise SelectionInputError(_("kuota nasional harus dari 1 sampai %(max)s", max=MAX_ID))
    quota_table = read_quota_table(inputs.quota) if kind == "kabkota_table" else {}
    digest = inputs.digest()
    existing = db.session.scalar(select(SelectionRun).where(SelectionRun.input_hash == digest,
                                                            SelectionRun.status == "done"))
    if existing is not None:
        return existing
    params = {"pool": inputs.pool_name or inputs.pool.name, "pool_id": inputs.pool_id,
              "pool_sha256": inputs.pool_sha256,
              "quota": inputs.quota.name if inputs.quota else None, "total": inputs.total,
              "as_of": inputs.as_of.isoformat() if inputs.as_of else None,
              "placeholder_policy": any(p.placeholder for p in policies.values())}
    run = SelectionRun(policy_id=inputs.policy, input_hash=digest, status="running", created_by_id=actor_id,
                       created_at=now, params=params, counts={}, errors=[],
                       policy_files={p: policy_bytes(p).decode("utf-8") for p in policy_ids})
    db.session.add(run)
    db.session.commit()
    run_id = run.id
    try:
        return _determine(run, inputs, policies, kind, quota_table)
    except BaseException as exc:
        # Whatever broke (the pool, a rule, the database), the run must not stay "running" for ever.
        db.session.rollback()
        current_app.logger.exception("selection run %s failed", run_id)
        mark_failed(run_id, f"{type(exc).__name__}: {exc}")
        if not isinstance(exc, Exception):
            raise
        return db.session.get(SelectionRun, run_id)


def mark_failed(run_id: int, reason: str) -> None:
    """In a transaction of its own: the run ``failed`` with its reason, and nothing it made kept."""
    with db.engine.begin() as conn:
        conn.execute(delete(SelectionEntry).where(SelectionEntry.run_id == run_id))
        conn.execute(delete(SelectionQuota).where(SelectionQuota.run_id == run_id))
        conn.execute(update(SelectionRun).where(SelectionRun.id == run_id)
                     .values(status="failed", failure_reason=reason[:2000], counts={}))


def _determine(run: SelectionRun, inputs: RunInputs, policies: dict, kind: str, quota_table: dict) -> SelectionRun:
    with force_locale("id"):  # stored text (reasons, alasan) is in the published list's language
        errors, malformed = _stage(run, inputs, policies)
        duplicates = [] if errors else _duplicates(run)
    if errors or duplicates:
        # Nothing is kept from a pool with a bad line: every malformed or duplicate line is reported.
        db.session.execute(delete(SelectionEntry).where(SelectionEntry.run_id == run.id))
        run.status, run.errors = "failed", (errors + duplicates)[:MAX_REPORTED_ERRORS]
        run.counts = {"malformed_lines": malformed, "duplicate_lines": len(duplicates)}
        db.session.commit()
        return run
    _allocate(run, kind, quota_table, inputs.total or 0)
    _rank(run)
    run.counts = dict(db.session.execute(select(SelectionEntry.status, func.count())
                                         .where(SelectionEntry.run_id == run.id)
                                         .group_by(SelectionEntry.status)).all())
    run.status = "done"
    db.session.commit()
    return run


def uses_placeholder_policy(run: SelectionRun) -> bool:
    """Whether the run was built on a policy marked ``placeholder: true`` (its data is not official)."""
    stored = (run.params or {}).get("placeholder_policy")
    if stored is not None:
        return bool(stored)
    try:
        return any(load_policy(p).placeholder for p in _policy_ids(run.policy_id))
    except SelectionInputError:
        return False


def _stage(run: SelectionRun, inputs: RunInputs, policies: dict) -> tuple[list[dict], int]:
    combined = inputs.policy == COMBINED_2016
    order_policy = policies["sg2016-pf-plpg"] if combined else next(iter(policies.values()))
    box, batch, errors, error_count = fernet(), [], [], 0
    run_id = run.id  # read once: every batch commit would expire the run and reload it
    for line, candidate, reasons in read_pool_file(inputs.pool):
        if candidate is None:
            error_count += 1
            if len(errors) < MAX_REPORTED_ERRORS:
                errors.append({"line": line, "reasons": reasons})
            continue
        if errors:
            continue  # the run will fail: only keep reading to report every malformed line
        policy_id = policy_for_2016(candidate) if combined else order_policy.id
        policy = policies.get(policy_id) if policy_id else None
        if policy is not None and inputs.as_of:
            policy = _with_reference(policy, inputs.as_of)
        problems = [u.message for u in unmet(candidate, policy)] if policy else [
            _("Tanggal pengangkatan tidak termasuk kebijakan sertifikasi 2016.")]
        group = candidate.kode_kabkota if order_policy.quota.get("kind") == "kabkota_table" \
            else candidate.kode_kabkota[:2]
        batch.append({
            "run_id": run_id, "line": line, "nik_hash": nik_hash(candidate.nik),
            "nik_encrypted": encrypt_nik(candidate.nik, box), "nama": candidate.nama,
            "nama_key": name_key(candidate.nama), "email": candidate.email,
            "npsn": candidate.npsn[:8], "satuan_pendidikan": candidate.satuan_pendidikan[:200],
            "kode_kabkota": candidate.kode_kabkota, "quota_group": group,
            "sort_key": sort_key(candidate, policy or order_policy, order_policy.priority) if not problems else "",
            "status": "tidak_memenuhi_syarat" if problems else "pending", "alasan": "; ".join(problems)})
        if len(batch) >= BATCH_SIZE:
            _flush(batch)
            batch = []
    if batch and not errors:
        _flush(batch)
    return errors, error_count


def _with_reference(policy, as_of: date):
    return replace(policy, reference_date=as_of)


def _flush(batch: list[dict]) -> None:
    db.session.execute(insert(SelectionEntry), batch)
    db.session.commit()


def _duplicates(run: SelectionRun) -> list[dict]:
    first = (select(SelectionEntry.nik_hash, func.min(SelectionEntry.line).label("first"))
             .where(SelectionEntry.run_id == run.id).group_by(SelectionEntry.nik_hash)
             .having(func.count() > 1).subquery())
    rows = db.session.execute(select(SelectionEntry.line, first.c.first)
                              .join(first, first.c.nik_hash == SelectionEntry.nik_hash)
                              .where(SelectionEntry.run_id == run.id, SelectionEntry.line > first.c.first)
                              .order_by(SelectionEntry.line).limit(MAX_REPORTED_ERRORS)).all()
    return [{"line": line, "reasons": [_("NIK sama dengan baris %(line)s", line=first_line)]}
            for line, first_line in rows]


def _allocate(run: SelectionRun, kind: str, table: dict[str, int], total: int) -> None:
    eligible = dict(db.session.execute(select(SelectionEntry.quota_group, func.count())
                                       .where(SelectionEntry.run_id == run.id, SelectionEntry.status == "pending")
                                       .group_by(SelectionEntry.quota_group)).all())
    if kind == "kabkota_table":
        quotas = {group: table.get(group, 0) for group in eligible}
    else:
        quotas = allocate_national(total, eligible)
    db.session.execute(insert(SelectionQuota), [
        {"run_id": run.id, "quota_group": g, "quota": q, "eligible": eligible.get(g, 0)} for g, q in quotas.items()]
        or [{"run_id": run.id, "quota_group": "--", "quota": 0, "eligible": 0}])
    db.session.commit()


def _rank(run: SelectionRun) -> None:
    """Number the eligible candidates within their quota group and cut at the quota: one UPDATE."""
    numbered = (select(SelectionEntry.id.label("id"), SelectionEntry.quota_group.label("quota_group"),
                       func.row_number().over(partition_by=SelectionEntry.quota_group,
                                              order_by=(SelectionEntry.sort_key, SelectionEntry.line)).label("n"))
                .where(SelectionEntry.run_id == run.id, SelectionEntry.status == "pending").subquery())
    db.session.execute(
        update(SelectionEntry)
        .where(SelectionEntry.id == numbered.c.id, SelectionQuota.run_id == run.id,
               SelectionQuota.quota_group == numbered.c.quota_group)
        .values(rank=numbered.c.n,
                status=case((numbered.c.n <= SelectionQuota.quota, "ditetapkan"), else_="cadangan")),
        execution_options={"synchronize_session": False})
    db.session.commit()


def output_rows(run: SelectionRun) -> Iterator[dict]:
    """The determined list in output order: by quota group and rank, then the ineligible by line."""
    query = (select(SelectionEntry).where(SelectionEntry.run_id == run.id)
             .order_by(SelectionEntry.rank.is_(None), SelectionEntry.quota_group, SelectionEntry.rank,
                       SelectionEntry.line).execution_options(yield_per=5000))
    for entry in db.session.scalars(query):
        yield {"rank": entry.rank or "", "nik": decrypt_nik(entry.nik_encrypted) or "", "nama": entry.nama,
               "kode_kabkota": entry.kode_kabkota, "status": entry.status, "alasan": entry.alasan}


def write_output(run: SelectionRun, out: io.TextIOBase) -> int:
    if uses_placeholder_policy(run):
        out.write(PLACEHOLDER_CSV_WARNING + "\n")
    writer = csvsafe.SafeDictWriter(out, fieldnames=OUTPUT_COLUMNS)
    writer.writeheader()
    count = 0
    for row in output_rows(run):
        writer.writerow(row)
        count += 1
    return count


def quota_rows(run: SelectionRun) -> list[SelectionQuota]:
    return list(db.session.scalars(select(SelectionQuota).where(SelectionQuota.run_id == run.id)
                                   .order_by(SelectionQuota.quota_group)))


def counts_by_status(run: SelectionRun) -> dict[str, int]:
    return dict(db.session.execute(select(SelectionEntry.status, func.count()).where(SelectionEntry.run_id == run.id)
                                   .group_by(SelectionEntry.status)).all())

