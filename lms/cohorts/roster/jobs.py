"""Roster import jobs: whole file or nothing, every bad row reported by line, fixed memory at any size.

Three phases:
1. stream the CSV into the staging table ``roster_import_rows`` in batches, checking each row on its own
   (committed batch by batch, so progress shows; the roster itself is untouched) — ``staging``;
2. check the rows against each other and against the other cohorts of the programme year, in SQL, counting
   what the apply has to do;
3. if no row is bad, apply the staging rows to roster entries, accounts and enrollments — ``applying``; phases 2
   and 3 are one transaction (the counts of phase 2 decide which statements phase 3 sends).
The runner commits between phases itself: it is a job, called by the CLI, the API and the Celery task.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, func, or_, select, update

from lms.cohorts.models import Cohort
from lms.cohorts.roster import applying, reasons, staging
from lms.cohorts.roster.reading import RosterFileError
from lms.cohorts.roster_models import RosterImport, RosterImportRow
from lms.core import audit
from lms.core.time import now_utc
from lms.extensions import db

REPORT_LIMIT = 1000
#: Where an import can fail, as the admin reads it.
PHASES = {"staging": _l("membaca berkas"), "apply": _l("memeriksa dan menerapkan daftar peserta")}
#: ``stats["failure"]`` of a job that failed on a server error (not on the file's content).
SERVER_ERROR = "server_error"


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
    ``failed`` with the reason (see ``_fail``) and returns it; the full traceback goes to the log. Reasons are
    stored in the source language, whoever runs the import, and translated when shown (``reasons``)."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return _run_import(job, stream, now=now, on_progress=on_progress)


def _run_import(job: RosterImport, stream: BinaryIO, *, now: datetime,
                on_progress: Callable[[RosterImport], None] | None) -> RosterImport:
    job.status, job.rows_read, job.error_count, job.file_error = "running", 0, 0, None
    job.heartbeat_at = now_utc()  # the lease (see ``claim_import``): every batch staged renews it
    # A redelivered task (worker lost mid-import) starts again from a clean staging area.
    db.session.execute(delete(RosterImportRow).where(RosterImportRow.import_id == job.id))
    db.session.commit()
    job_id = job.id
    phase = PHASES["staging"]
    try:
        cohort = db.session.get(Cohort, job.cohort_id)
        try:
            staging.stage(job, cohort.programme_year, stream, _beating(on_progress))
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
    todo = applying.check_across_rows(job, cohort)
    job.error_count = db.session.scalar(select(func.count()).where(RosterImportRow.import_id == job.id,
                                                                   RosterImportRow.error.is_not(None)))
    if job.error_count:
        # Keep the bad rows for the report; the good ones are not needed any more.
        db.session.execute(delete(RosterImportRow).where(RosterImportRow.import_id == job.id,
                                                         RosterImportRow.error.is_(None)))
        return _finish(job, "failed", now)
    job.stats = applying.apply_rows(job, cohort, now, todo)
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


def errors_of(job: RosterImport, limit: int | None = REPORT_LIMIT) -> list[dict]:
    query = (select(RosterImportRow.line, RosterImportRow.error)
             .where(RosterImportRow.import_id == job.id, RosterImportRow.error.is_not(None))
             .order_by(RosterImportRow.line))
    if limit:
        query = query.limit(limit)
    return [{"line": line, "reason": reasons.translate(error)} for line, error in db.session.execute(query)]


def job_json(job: RosterImport) -> dict:
    body = {"id": job.id, "cohort": job.cohort.code, "filename": job.filename, "status": job.status,
            "rows_read": job.rows_read, "rows_total": job.rows_total, "error_count": job.error_count,
            "stats": job.stats or {}, "file_error": reasons.translate(job.file_error),
            "created_at": job.created_at.isoformat(),
            "finished_at": job.finished_at.isoformat() if job.finished_at else None}
    if job.status == "failed":
        body["errors"] = errors_of(job)
        body["errors_truncated"] = job.error_count > REPORT_LIMIT
    return body


def _lease() -> timedelta:
    return timedelta(seconds=current_app.config["JOB_LEASE_SECONDS"])


def _stalled(now: datetime):
    """A job no live worker holds: queued, or running without a heartbeat within the lease."""
    return or_(RosterImport.status == "queued",
               and_(RosterImport.status == "running",
                    func.coalesce(RosterImport.heartbeat_at, RosterImport.created_at) <= now - _lease()))


def claim_import(import_id: int, *, now: datetime) -> bool:
    """Take the job for this worker (one conditional UPDATE, committed): a queued job, or a running one whose worker
    stopped beating (killed). A second delivery of the task while a live worker runs the job changes nothing."""
    claimed = db.session.execute(update(RosterImport).where(RosterImport.id == import_id,
                                                            RosterImport.stored_path.is_not(None), _stalled(now))
                                 .values(status="running", heartbeat_at=now),
                                 execution_options={"synchronize_session": False}).rowcount == 1
    db.session.commit()
    return claimed


def _beating(on_progress: Callable[[RosterImport], None] | None) -> Callable[[RosterImport], None]:
    """Progress is the lease's heartbeat (committed with the next batch); the real clock: this is liveness."""
    def beat(job: RosterImport) -> None:
        job.heartbeat_at = now_utc()
        if on_progress is not None:
            on_progress(job)
    return beat


def stalled_imports(*, now: datetime) -> list[int]:
    """Jobs to deliver again: queued or running past the lease. One whose upload is gone is marked failed."""
    stale_before = now - _lease()
    old = and_(_stalled(now), func.coalesce(RosterImport.heartbeat_at, RosterImport.created_at) <= stale_before)
    rows = db.session.execute(select(RosterImport.id, RosterImport.stored_path).where(old)).all()
    db.session.rollback()
    for job_id, stored_path in rows:
        if not stored_path:
            _fail(job_id, now, str(_l("Impor terhenti karena proses pekerja berhenti. Tidak ada data yang diimpor; "
                                      "silakan unggah ulang berkas.")))
    return [job_id for job_id, stored_path in rows if stored_path]


def import_stored_file(import_id: int, *, now: datetime) -> RosterImport | None:
    """Run a queued import from its stored upload (the Celery task), then delete the upload."""
    if not claim_import(import_id, now=now):
        return db.session.get(RosterImport, import_id)  # done, failed, or running in a live worker
    job = db.session.get(RosterImport, import_id)
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
