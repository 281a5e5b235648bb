"""Starting a roster import from an upload, for the admin page and the API alike.

A small file is imported at once: the import is a job that commits between its phases itself (and records its own
failure), so its outcome is kept whatever the request answers. A large file is stored and queued for the worker;
the task is sent only once the request's transaction has committed the job (the worker must find it), and the
stored file is deleted when the transaction ends without a commit.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import event
from sqlalchemy.orm import Session

from lms.cohorts import roster
from lms.cohorts.models import Cohort
from lms.cohorts.roster_models import RosterImport
from lms.cohorts.tasks import import_roster
from lms.extensions import db

_KEY = "lms_roster_imports_to_queue"


def start_roster_import(cohort: Cohort, filename: str, stream: BinaryIO, size: int, *, now: datetime,
                        actor_id: int | None, sync_max_bytes: int, upload_folder: str) -> RosterImport:
    """Import ``stream`` now when it is at most ``sync_max_bytes``, else store it and queue it; returns the job."""
    if size <= sync_max_bytes:
        job = roster.create_import(cohort, filename, now=now, actor_id=actor_id)
        return roster.run_import(job, stream, now=now)
    stored = roster.store_upload(stream, upload_folder)
    job = roster.create_import(cohort, filename, now=now, actor_id=actor_id, stored_path=stored)
    _queue_after_commit(job.id, stored)
    return job


def _queue_after_commit(job_id: int, stored: str) -> None:
    session = db.session()
    if _KEY not in session.info:
        session.info[_KEY] = []
        event.listen(session, "after_commit", _send)
        event.listen(session, "after_transaction_end", _discard)
    session.info[_KEY].append((job_id, stored))


def _send(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint was released: the job waits for the outer commit
    queued, session.info[_KEY] = session.info.get(_KEY, []), []
    for job_id, _stored in queued:
        import_roster.delay(job_id)


def _discard(session: Session, transaction) -> None:
    if transaction.parent is not None:
        return  # a savepoint: the outer transaction decides
    for _job_id, stored in session.info.get(_KEY, []):
        Path(stored).unlink(missing_ok=True)
    session.info[_KEY] = []
