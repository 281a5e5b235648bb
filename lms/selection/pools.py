"""Stored candidate pools: a JSON Lines pool imported once, checked whole, then run under any policy or quota.

``lms selection import FILE`` keeps the file as ``<UPLOAD_FOLDER>/pools/<sha256>.jsonl`` with a
``SelectionPool`` row; ``lms selection run --pool-id ID`` and the penetapan page's run form read it from there.
Importing the same content twice gives the same pool. Duplicate NIKs are reported by the run (one GROUP BY in
the database), not here, so that checking a pool of any size takes fixed memory.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms.core import audit
from lms.core.errors import Invalid, NotFound
from lms.extensions import db
from lms.selection.candidate import read_pool_file
from lms.selection.models import SelectionPool

MAX_REPORTED_ERRORS = 1000


class PoolMalformed(Invalid):
    code = "pool_malformed"
    message = _l("Berkas calon peserta berisi baris yang salah; tidak ada yang disimpan.")


class PoolFileMissing(NotFound):
    code = "pool_file_missing"
    message = _l("Berkas calon peserta yang tersimpan tidak ditemukan di server; impor ulang berkasnya.")


@dataclass
class PoolCheck:
    candidates: int = 0
    malformed: int = 0
    #: [{line, reasons}], the first ``MAX_REPORTED_ERRORS``.
    errors: list[dict] = field(default_factory=list)


def check_pool(path: Path) -> PoolCheck:
    """Read every line of the pool (streamed) and report the malformed ones."""
    result = PoolCheck()
    for line, candidate, reasons in read_pool_file(path):
        if candidate is None:
            result.malformed += 1
            if len(result.errors) < MAX_REPORTED_ERRORS:
                result.errors.append({"line": line, "reasons": reasons})
        else:
            result.candidates += 1
    return result


def _folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / "pools"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def import_pool(source: Path, *, now: datetime, actor_id: int | None = None,
                filename: str | None = None) -> tuple[SelectionPool, PoolCheck]:
    """Check ``source`` and store it; raises ``PoolMalformed`` (``details["lines"]``) when a line is bad.

    Flushes; the caller commits. The file is copied before the row is written, so a stored row always has
    its file.
    """
    check = check_pool(source)
    if check.malformed:
        raise PoolMalformed(details={"lines": check.errors})
    digest = _sha256(source)
    existing = db.session.scalar(select(SelectionPool).where(SelectionPool.sha256 == digest))
    if existing is not None:
        return existing, check
    target = _folder() / f"{digest}.jsonl"
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.parent / f".import-{uuid.uuid4().hex}"
    shutil.copyfile(source, partial)
    os.replace(partial, target)
    pool = SelectionPool(sha256=digest, filename=(filename or source.name)[:200], candidates=check.candidates,
                         imported_by_id=actor_id, imported_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(pool)
            db.session.flush()
    except IntegrityError:  # imported concurrently: the other import's row stands
        return db.session.scalar(select(SelectionPool).where(SelectionPool.sha256 == digest)), check
    audit.record("selection.pool.import", "selection_pool", pool.id, actor_id=actor_id, now=now,
                 data={"sha256": digest, "candidates": check.candidates, "filename": pool.filename})
    return pool, check


def find_pool(pool_id: int) -> SelectionPool:
    pool = db.session.get(SelectionPool, pool_id)
    if pool is None:
        raise NotFound(_l("Kumpulan calon peserta %(id)s tidak ditemukan.", id=pool_id))
    return pool


def stored_file(pool: SelectionPool) -> Path:
    path = _folder() / f"{pool.sha256}.jsonl"
    if not path.is_file():
        raise PoolFileMissing()
    return path


def stored_pools() -> list[SelectionPool]:
    return list(db.session.scalars(select(SelectionPool).order_by(SelectionPool.id.desc())))
