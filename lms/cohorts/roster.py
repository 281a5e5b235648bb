"""Roster import: whole file or nothing, every bad row reported by line, fixed memory at any size.

Three phases:
1. stream the CSV into the staging table ``roster_import_rows`` in batches, checking each row on its own
   (committed batch by batch, so progress shows; the roster itself is untouched);
2. check the rows against each other and against the other cohorts of the programme year, in SQL;
3. if no row is bad, apply the staging rows to roster entries, accounts and enrollments in one transaction.
The runner commits between phases itself: it is a job, called by the CLI, the API and the Celery task.
"""

from __future__ import annotations

import codecs
import csv
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import String as SAString
from sqlalchemy import and_, cast, delete, exists, func, insert, literal, or_, select, update
from sqlalchemy.orm import aliased

from lms.auth.domains import email_allowed
from lms.auth.models import User
from lms.cohorts.models import Cohort, Enrollment
from lms.cohorts.roster_models import RosterEntry, RosterImport, RosterImportRow
from lms.core import audit
from lms.core.csvsafe import restore_cell
from lms.core.nik import encrypt_nik, fernet, nik_hash, nik_problem, normalize_nik
from lms.core.regions import kabkota_exists
from lms.extensions import db

COLUMNS = ("nik", "nama", "email", "npsn", "satuan_pendidikan", "kode_kabkota")
BATCH_SIZE = 2000
REPORT_LIMIT = 1000


class RosterFileError(Exception):
    """The file as a whole cannot be read (encoding, empty, columns)."""


def create_import(cohort: Cohort, filename: str, *, now: datetime, actor_id: int | None = None,
                  stored_path: str | None = None) -> RosterImport:
    job = RosterImport(cohort_id=cohort.id, filename=filename[:255], stored_path=stored_path, status="queued",
                       created_by_id=actor_id, created_at=now, stats={})
    db.session.add(job)
    db.session.flush()
    return job


def run_import(job: RosterImport, stream: BinaryIO, *, now: datetime,
               on_progress: Callable[[RosterImport], None] | None = None) -> RosterImport:
    """Import ``stream`` for ``job``; returns the job, ``done`` or ``failed`` (with its errors staged).

    Never leaves the job ``running``: an unexpected error in any phase rolls the import back, marks the job
    ``failed`` with the reason (see ``_fail``) and returns it; the full traceback goes to the log."""
    job.status, job.rows_read, job.error_count, job.file_error = "running", 0, 0, None
    # A redelivered task (worker lost mid-import) starts again from a clean staging area.
    db.session.execute(delete(RosterImportRow).where(RosterImportRow.import_id == job.id))
    db.session.commit()
    job_id = job.id
    phase = PHASES["staging"]
    try:
        cohort = db.session.get(Cohort, job.cohort_id)
        try:
            _stage(job, stream, on_progress)
        except RosterFileError as exc:
            db.session.rollback()
            db.session.execute(delete(RosterImportRow).where(RosterImportRow.import_id == job.id))
            return _finish(job, "failed", now, file_error=str(exc))
        job.rows_total = job.rows_read
        phase = PHASES["apply"]
        return _check_and_apply(job, cohort, now)
    except Exception as exc:  # noqa: BLE001 - any failure ends the job, never half-applied
        current_app.logger.exception("roster import %s failed while %s", job_id, phase)
        return _fail(job_id, now, str(_l("Terjadi kesalahan pada server saat %(phase)s (%(error)s). Tidak ada data "
                                          "yang diimpor; silakan unggah ulang berkas atau hubungi tim teknis.",
                                          phase=phase, error=type(exc).__name__)))


#: Where an import can fail, as the admin reads it.
PHASES = {"staging": _l("membaca berkas"), "apply": _l("memeriksa dan menerapkan daftar peserta")}
#: ``stats["failure"]`` of a job that failed on a server error (not on the file's content).
SERVER_ERROR = "server_error"


def _fail(job_id: int, now: datetime, reason: str) -> RosterImport:
    """Mark the job failed in a transaction of its own, after rolling back everything the import did, so the
    failure is recorded whatever state the session was left in."""
    db.session.rollback()
    jobs, rows = RosterImport.__table__, RosterImportRow.__table__
    with db.engine.begin() as connection:
        connection.execute(delete(rows).where(rows.c.import_id == job_id))
        connection.execute(update(jobs).where(jobs.c.id == job_id, jobs.c.status.in_(("queued", "running")))
                           .values(status="failed", file_error=reason, finished_at=now, error_count=0,
                                   stats={"failure": SERVER_ERROR}))
    job = db.session.get(RosterImport, job_id)
    db.session.refresh(job)
    return job


def server_failure(job: RosterImport) -> bool:
    return job.status == "failed" and (job.stats or {}).get("failure") == SERVER_ERROR


def _check_and_apply(job: RosterImport, cohort: Cohort, now: datetime) -> RosterImport:
    _check_across_rows(job, cohort)
    job.error_count = db.session.scalar(select(func.count()).where(RosterImportRow.import_id == job.id,
                                                                   RosterImportRow.error.is_not(None)))
    if job.error_count:
        # Keep the bad rows for the report; the good ones are not needed any more.
        db.session.execute(delete(RosterImportRow).where(RosterImportRow.import_id == job.id,
                                                         RosterImportRow.error.is_(None)))
        return _finish(job, "failed", now)
    job.stats = _apply(job, cohort, now)
    db.session.execute(delete(RosterImportRow).where(RosterImportRow.import_id == job.id))
    audit.record("roster.import", "cohort", cohort.code, actor_id=job.created_by_id, now=now,
                 data={"import_id": job.id, "rows": job.rows_total, **job.stats})
    return _finish(job, "done", now)


def _finish(job: RosterImport, status: str, now: datetime, file_error: str | None = None) -> RosterImport:
    job.status, job.finished_at = status, now
    if file_error:
        job.file_error = file_error
    db.session.commit()
    return job


# --- phase 1: read and check each row -------------------------------------------------------------------------

def _text_lines(stream: BinaryIO) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="strict")
    line_no = 1
    pending = ""
    while chunk := stream.read(1 << 16):
        try:
            pending += decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            line = line_no + pending.count("\n")
            raise RosterFileError(str(_l("Berkas bukan teks UTF-8 (sekitar baris %(n)s). Simpan ulang sebagai "
                                         "CSV UTF-8.", n=line))) from exc
        *complete, pending = pending.split("\n")
        for text in complete:
            line_no += 1
            yield text + "\n"
    try:
        pending += decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise RosterFileError(str(_l("Berkas bukan teks UTF-8. Simpan ulang sebagai CSV UTF-8."))) from exc
    if pending:
        yield pending


def _header(reader) -> dict[str, int]:
    try:
        header = next(reader)
    except StopIteration:
        raise RosterFileError(str(_l("Berkas kosong: baris judul kolom tidak ada."))) from None
    names = [h.strip().lower() for h in header]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise RosterFileError(str(_l("Kolom wajib tidak ada: %(missing)s. Kolom yang diperlukan: %(all)s.",
                                     missing=", ".join(missing), all=", ".join(COLUMNS))))
    return {c: names.index(c) for c in COLUMNS}


def _stage(job: RosterImport, stream: BinaryIO, on_progress) -> None:
    reader = csv.reader(_text_lines(stream))
    index = _header(reader)
    allowed = current_app.config["ALLOWED_EMAIL_DOMAINS"]
    box = fernet()
    batch: list[dict] = []
    try:
        for fields in reader:
            if not any(f.strip() for f in fields):
                continue
            batch.append(_check_row(reader.line_num, fields, index, allowed, box))
            if len(batch) >= BATCH_SIZE:
                _flush(job, batch, on_progress)
                batch = []
    except csv.Error as exc:
        raise RosterFileError(str(_l("Format CSV rusak di baris %(n)s: %(e)s", n=reader.line_num, e=exc))) from exc
    if batch:
        _flush(job, batch, on_progress)
    if job.rows_read == 0:
        raise RosterFileError(str(_l("Berkas tidak berisi data peserta (hanya baris judul).")))


def _flush(job: RosterImport, batch: list[dict], on_progress) -> None:
    db.session.execute(insert(RosterImportRow), [{"import_id": job.id, **row} for row in batch])
    job.rows_read += len(batch)
    db.session.commit()
    if on_progress:
        on_progress(job)


def _check_row(line: int, fields: list[str], index: dict[str, int], allowed, box) -> dict:
    if len(fields) < len(index) or max(index.values()) >= len(fields):
        return {"line": line, "error": str(_l("Jumlah kolom kurang (%(n)s).", n=len(fields)))}
    # restore_cell: a file exported by this application (formula-safe cells) imports with its own values.
    value = {c: restore_cell(fields[i].strip()).strip() for c, i in index.items()}
    problems = []
    nik = normalize_nik(value["nik"])
    if problem := nik_problem(nik):
        problems.append(problem)
    if not value["nama"] or len(value["nama"]) > 200:
        problems.append(str(_l("Nama wajib diisi (maksimal 200 karakter).")))
    email = value["email"].lower()
    if not email_allowed(email, allowed):
        problems.append(str(_l("E-mail %(email)s bukan akun belajar.id.", email=email or "-")))
    npsn = value["npsn"].upper()
    if len(npsn) != 8 or not npsn.isascii() or not npsn.isalnum():
        problems.append(str(_l("NPSN harus 8 karakter.")))
    if not value["satuan_pendidikan"] or len(value["satuan_pendidikan"]) > 200:
        problems.append(str(_l("Satuan pendidikan wajib diisi (maksimal 200 karakter).")))
    kode = value["kode_kabkota"]
    if not (len(kode) == 4 and kode.isdigit() and kabkota_exists(kode)):
        problems.append(str(_l("Kode kab/kota %(code)s tidak dikenal.", code=kode or "-")))
    if problems:
        return {"line": line, "error": "; ".join(problems)}
    return {"line": line, "nik_hash": nik_hash(nik), "nik_encrypted": encrypt_nik(nik, box), "nama": value["nama"],
            "email": email, "npsn": npsn, "satuan_pendidikan": value["satuan_pendidikan"], "kode_kabkota": kode}


# --- phase 2: checks across rows, in SQL ----------------------------------------------------------------------

def _check_across_rows(job: RosterImport, cohort: Cohort) -> None:
    rows, entry, other = RosterImportRow, RosterEntry, aliased(Cohort)
    mine = and_(rows.import_id == job.id, rows.error.is_(None))
    year = entry.programme_year == cohort.programme_year  # with nik_hash or email: a unique index

    def mark(condition, error) -> None:
        db.session.execute(update(rows).where(mine, condition).values(error=error),
                           execution_options={"synchronize_session": False})

    for key, label in (("nik_hash", _l("NIK sama dengan baris ")), ("email", _l("E-mail sama dengan baris "))):
        column = getattr(rows, key)
        repeated = (select(column.label("value"), func.min(rows.line).label("first")).where(mine)
                    .group_by(column).having(func.count() > 1).subquery())
        mark(and_(column == repeated.c.value, rows.line > repeated.c.first),
             literal(str(label)) + cast(repeated.c.first, SAString))
    for key in ("nik_hash", "email"):
        clash = (select(other.code).join(entry, entry.cohort_id == other.id)
                 .where(year, getattr(entry, key) == getattr(rows, key), entry.cohort_id != cohort.id)
                 .limit(1).scalar_subquery())
        mark(clash.is_not(None), literal(str(_l("Sudah terdaftar di angkatan lain tahun yang sama: "))) + clash)
    enrolled_elsewhere = (select(other.code).select_from(Enrollment).join(User, User.id == Enrollment.user_id)
                          .join(other, other.id == Enrollment.cohort_id)
                          .where(User.email == rows.email, Enrollment.programme_year == cohort.programme_year,
                                 Enrollment.cohort_id != cohort.id).limit(1).scalar_subquery())
    mark(enrolled_elsewhere.is_not(None),
         literal(str(_l("Akun ini sudah peserta angkatan lain tahun yang sama: "))) + enrolled_elsewhere)
    mark(exists().where(year, entry.nik_hash == rows.nik_hash, entry.email != rows.email),
         str(_l("NIK ini sudah terdaftar dengan e-mail lain di angkatan ini; perubahan e-mail dilakukan oleh "
                "Pusat Bantuan.")))
    mark(exists().where(year, entry.email == rows.email, entry.nik_hash != rows.nik_hash),
         str(_l("E-mail ini sudah terdaftar untuk NIK lain di angkatan ini.")))
    db.session.commit()


# --- phase 3: apply, in one transaction -----------------------------------------------------------------------

def _apply(job: RosterImport, cohort: Cohort, now: datetime) -> dict:
    rows, entry = RosterImportRow, RosterEntry
    mine = rows.import_id == job.id
    known = and_(entry.programme_year == cohort.programme_year, entry.nik_hash == rows.nik_hash)  # unique index
    differs = or_(entry.nama != rows.nama, entry.npsn != rows.npsn,
                  entry.satuan_pendidikan != rows.satuan_pendidikan, entry.kode_kabkota != rows.kode_kabkota)
    inserted = db.session.scalar(select(func.count()).where(mine, ~exists().where(known)))
    updated = db.session.scalar(select(func.count()).select_from(rows).join(entry, known).where(mine, differs))

    db.session.execute(insert(entry).from_select(
        ["cohort_id", "programme_year", "nik_hash", "nik_encrypted", "nama", "email", "npsn", "satuan_pendidikan",
         "kode_kabkota", "created_at", "updated_at"],
        select(literal(cohort.id), literal(cohort.programme_year), rows.nik_hash, rows.nik_encrypted, rows.nama,
               rows.email, rows.npsn, rows.satuan_pendidikan, rows.kode_kabkota, literal(now, entry.created_at.type),
               literal(now, entry.updated_at.type)).where(mine, ~exists().where(known))))
    if updated:
        db.session.execute(update(entry).where(known, mine, differs).values(
            nama=rows.nama, npsn=rows.npsn, satuan_pendidikan=rows.satuan_pendidikan, kode_kabkota=rows.kode_kabkota,
            updated_at=now), execution_options={"synchronize_session": False})

    new_account = ~exists().where(User.email == rows.email)
    accounts = db.session.scalar(select(func.count()).where(mine, new_account))
    db.session.execute(insert(User).from_select(
        ["email", "name", "created_at", "active"],
        select(rows.email, rows.nama, literal(now, User.created_at.type), literal(True))
        .where(mine, new_account)))
    status = "aktif" if cohort.learning_open_at(now) else "menunggu"
    not_enrolled = ~exists().where(Enrollment.user_id == User.id, Enrollment.programme_year == cohort.programme_year)
    enrollments = db.session.scalar(select(func.count()).select_from(rows).join(User, User.email == rows.email)
                                    .where(mine, not_enrolled))
    db.session.execute(insert(Enrollment).from_select(
        ["user_id", "cohort_id", "programme_year", "status", "kode_kabkota", "created_at"],
        select(User.id, literal(cohort.id), literal(cohort.programme_year), literal(status), rows.kode_kabkota,
               literal(now, Enrollment.created_at.type))
        .join(User, User.email == rows.email)
        .where(mine, not_enrolled)))
    db.session.execute(update(Enrollment).where(
        Enrollment.cohort_id == cohort.id, Enrollment.user_id == User.id, User.email == rows.email, mine,
        Enrollment.kode_kabkota.is_distinct_from(rows.kode_kabkota)).values(kode_kabkota=rows.kode_kabkota),
        execution_options={"synchronize_session": False})
    total = job.rows_read
    return {"inserted": inserted, "updated": updated, "unchanged": total - inserted - updated,
            "accounts_created": accounts, "enrollments_created": enrollments}


def errors_of(job: RosterImport, limit: int | None = REPORT_LIMIT) -> list[dict]:
    query = (select(RosterImportRow.line, RosterImportRow.error)
             .where(RosterImportRow.import_id == job.id, RosterImportRow.error.is_not(None))
             .order_by(RosterImportRow.line))
    if limit:
        query = query.limit(limit)
    return [{"line": line, "reason": error} for line, error in db.session.execute(query)]


def job_json(job: RosterImport) -> dict:
    body = {"id": job.id, "cohort": job.cohort.code, "filename": job.filename, "status": job.status,
            "rows_read": job.rows_read, "rows_total": job.rows_total, "error_count": job.error_count,
            "stats": job.stats or {}, "file_error": job.file_error,
            "created_at": job.created_at.isoformat(),
            "finished_at": job.finished_at.isoformat() if job.finished_at else None}
    if job.status == "failed":
        body["errors"] = errors_of(job)
        body["errors_truncated"] = job.error_count > REPORT_LIMIT
    return body


def import_stored_file(import_id: int, *, now: datetime) -> RosterImport | None:
    """Run a queued import from its stored upload (the Celery task), then delete the upload."""
    job = db.session.get(RosterImport, import_id)
    if job is None or job.status not in ("queued", "running") or not job.stored_path:
        return job
    path = Path(job.stored_path)
    try:
        with open(path, "rb") as stream:
            job = run_import(job, stream, now=now)
    except OSError as exc:  # the upload is gone (another host's disk, a cleaned folder): fail, do not hang
        current_app.logger.exception("roster import %s: stored upload unreadable", import_id)
        job = _fail(import_id, now, str(_l("Berkas unggahan tidak dapat dibaca (%(error)s). Tidak ada data yang "
                                           "diimpor; silakan unggah ulang berkas.", error=type(exc).__name__)))
    finally:
        path.unlink(missing_ok=True)
        job.stored_path = None
        db.session.commit()
    return job


def store_upload(data: BinaryIO, folder: str) -> str:
    """Keep an upload outside the web root until the worker imports it."""
    target = Path(folder) / "rosters"
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"{uuid.uuid4().hex}.csv"
    with open(path, "wb") as out:
        while chunk := data.read(1 << 20):
            out.write(chunk)
    return str(path)
