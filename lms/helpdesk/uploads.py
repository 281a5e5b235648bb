"""Files that belong to a database row: they appear under their final name only once the row is committed.

A file is written under a hidden temporary name next to its final path; the session's commit renames it, and
the end of the transaction without a commit (rollback, error, closed session) deletes it. So a request that fails
after the file was written, at flush, at commit or anywhere between, leaves nothing behind. A crash between the
write and the commit can leave only a ``.pending-*`` file, never a file that looks like a ticket's.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session

from lms.extensions import db

log = logging.getLogger(__name__)

PENDING_PREFIX = ".pending-"
_KEY = "lms_pending_files"


def pending_path(final: Path) -> Path:
    return final.with_name(f"{PENDING_PREFIX}{final.name}")


def stage_file(final: Path, data: bytes) -> None:
    """Write ``data`` for ``final``; it is renamed there when the current transaction commits, deleted otherwise."""
    session = db.session()
    final.parent.mkdir(parents=True, exist_ok=True)
    temporary = pending_path(final)
    temporary.write_bytes(data)
    if _KEY not in session.info:
        session.info[_KEY] = []
        event.listen(session, "after_commit", _publish)
        event.listen(session, "after_transaction_end", _discard)
    session.info[_KEY].append(final)


def _publish(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint was released: the files wait for the outer commit
    for final in session.info.get(_KEY, []):
        try:
            os.replace(pending_path(final), final)
        except OSError:  # the row is committed: keep going, the sweep reports what is missing
            log.exception("could not publish %s", final)
    session.info[_KEY] = []


def _discard(session: Session, transaction) -> None:
    if transaction.parent is not None:
        return  # a savepoint: the outer transaction decides
    for final in session.info.get(_KEY, []):
        pending_path(final).unlink(missing_ok=True)
    session.info[_KEY] = []

