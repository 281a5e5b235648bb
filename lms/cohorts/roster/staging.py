"""Phase 1: stream the file into the staging table ``roster_import_rows``, batch by batch.

Each batch is committed (the job's ``rows_read`` shows progress; the roster itself is untouched). On PostgreSQL a
batch goes in with ``COPY ... FROM STDIN`` on the session's own connection (same transaction); elsewhere (SQLite)
with one multi-row INSERT. Both share the row check (``reading.check_row``).

A NIK already on the roster of the programme year is not encrypted again: the apply phase only ever writes
``nik_encrypted`` for a new entry, so the batch's NIK hashes are looked up first (one indexed query per batch, on
PostgreSQL sent one batch ahead from a thread of its own, see ``lookups``; or, when the year held at most one batch
of entries as the import began, in a set read once) and only the unknown ones pay for Fernet (``nik_encryptor``:
the batch's tokens at once, well under half the CPU of ``Fernet.encrypt``). The batch then goes to COPY as one
preformatted text. Memory holds one batch at a time (three with the look-ahead), whatever the file's size.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select, text

from lms.cohorts.roster.lookups import LookAhead
from lms.cohorts.roster.reading import (
    CheckedRow,
    RosterFileError,
    RowContext,
    check_row,
    csv_problem,
    header,
    text_lines,
)
from lms.cohorts.roster_models import RosterEntry, RosterImport, RosterImportRow
from lms.core.nik import nik_encryptor
from lms.extensions import db

BATCH_SIZE = 5000
STAGED = ("import_id", "line", "nik_hash", "nik_encrypted", "nama", "email", "npsn", "satuan_pendidikan",
          "kode_kabkota", "error")
COPY_SQL = f"COPY {RosterImportRow.__tablename__} ({', '.join(STAGED)}) FROM STDIN"


@dataclass
class Staging:
    """One import's phase 1: where rows go and what they are encrypted with."""

    job: RosterImport
    #: the job's id, read once: an expired ORM attribute must not be loaded while a COPY holds the connection
    job_id: int
    programme_year: int
    #: NIKs -> their Fernet tokens
    encrypt: Callable[[Sequence[str]], list[str]]
    on_progress: Callable[[RosterImport], None] | None
    #: psycopg 3 underneath: stage with COPY
    copy: bool
    #: every NIK hash of the programme year when the import began, if it had at most ``BATCH_SIZE`` entries (the
    #: first import of a year: no look-up per batch); None: look each batch's hashes up
    year_hashes: set[str] | None


def stage(job: RosterImport, programme_year: int, stream, on_progress=None) -> Staging:
    reader = csv.reader(text_lines(stream))
    ctx = RowContext.for_app(header(reader))
    dialect = db.session.get_bind().dialect
    staging = Staging(job, job.id, programme_year, nik_encryptor(), on_progress,
                      copy=dialect.name == "postgresql" and dialect.driver == "psycopg",
                      year_hashes=_few_year_hashes(programme_year))
    batches = _batches(reader, ctx)
    try:
        if _looks_ahead(staging):
            with LookAhead(db.engine, programme_year) as lookups:
                _stage_looking_ahead(staging, batches, lookups)
        else:
            for batch in batches:
                _flush(staging, batch, _known_hashes(staging, _hashes(batch)))
    except csv.Error as exc:
        raise csv_problem(exc, reader.line_num) from exc
    if job.rows_read == 0:
        raise RosterFileError(str(_l("Berkas tidak berisi data peserta (hanya baris judul).")))
    return staging


def _batches(reader, ctx: RowContext) -> Iterator[list[CheckedRow]]:
    """The file's checked rows, ``BATCH_SIZE`` at a time (blank lines skipped)."""
    batch: list[CheckedRow] = []
    for fields in reader:
        if not "".join(fields).strip():
            continue
        batch.append(check_row(reader.line_num, fields, ctx))
        if len(batch) >= BATCH_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


def _hashes(batch: list[CheckedRow]) -> list[str]:
    return [row[2] for row in batch if row[2]]


def _looks_ahead(staging: Staging) -> bool:
    """Look each batch's known NIKs up one batch ahead (``lookups``): on PostgreSQL, when there is something to
    find batch by batch (the year held more than one batch of entries as the import began)."""
    return staging.copy and staging.year_hashes is None


def _stage_looking_ahead(staging: Staging, batches: Iterator[list[CheckedRow]], lookups: LookAhead) -> None:
    """Stage each batch once its look-up is back; the next batch's look-up runs meanwhile (and while the batch
    after it is read). An error of a look-up is raised here, by ``result()``, and fails the staging."""
    ahead: tuple[list[CheckedRow], Future[set[str]]] | None = None
    for batch in batches:
        looked_up = lookups.submit(_hashes(batch))
        if ahead is not None:
            _flush(staging, ahead[0], ahead[1].result())
        ahead = (batch, looked_up)
    if ahead is not None:
        _flush(staging, ahead[0], ahead[1].result())


def _flush(staging: Staging, batch: list[CheckedRow], known: set[str]) -> None:
    job = staging.job
    ciphers = _ciphers(staging, batch, known)
    if staging.copy:
        _copy(_copy_text(staging.job_id, batch, ciphers))
        # The staged rows are UNLOGGED (gone after a server crash whatever this commit did) and the progress
        # count is rewritten by the next batch: no need to wait for the WAL flush of each batch's commit.
        db.session.execute(text("SET LOCAL synchronous_commit = off"))
    else:
        db.session.execute(insert(RosterImportRow), [
            dict(zip(STAGED, (staging.job_id, line, digest, cipher, nama, email, npsn, satuan, kode, error),
                     strict=True))
            for (line, _, digest, nama, email, npsn, satuan, kode, error), cipher in zip(batch, ciphers, strict=True)])
    job.rows_read += len(batch)
    db.session.commit()
    if staging.on_progress:
        staging.on_progress(job)


def _ciphers(staging: Staging, batch: list[CheckedRow], known: set[str]) -> list[str | None]:
    """Each row's ``nik_encrypted``: the NIKs not yet on the roster of the year, encrypted in one call."""
    fresh = [i for i, row in enumerate(batch) if row[2] is not None and row[2] not in known]
    ciphers: list[str | None] = [None] * len(batch)
    for i, token in zip(fresh, staging.encrypt([batch[i][1] for i in fresh]), strict=True):
        ciphers[i] = token
    return ciphers


def _few_year_hashes(programme_year: int) -> set[str] | None:
    """The NIK hashes of the programme year, if there are at most ``BATCH_SIZE`` of them (bounded memory)."""
    hashes = set(db.session.scalars(select(RosterEntry.nik_hash).where(RosterEntry.programme_year == programme_year)
                                    .limit(BATCH_SIZE + 1)))
    return hashes if len(hashes) <= BATCH_SIZE else None


def _known_hashes(staging: Staging, hashes: list[str]) -> set[str]:
    """Which of ``hashes`` are on the roster of the programme year already, in the session: SQLite, and a year of
    at most one batch of entries (PostgreSQL otherwise looks ahead, ``lookups``)."""
    if staging.year_hashes is not None:
        return staging.year_hashes.intersection(hashes)
    if not hashes:
        return set()
    column = RosterEntry.nik_hash
    return set(db.session.scalars(select(column).where(RosterEntry.programme_year == staging.programme_year,
                                                       column.in_(hashes))))


#: COPY's text format: null, and the characters of a value written as escapes.
NULL = "\\N"
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _escaped(value: str | None) -> str:
    return NULL if value is None else value.translate(_ESCAPES)


def _copy_text(job_id: int, batch: list[CheckedRow], ciphers: list[str | None]) -> str:
    """The batch as COPY text, in ``STAGED`` order: one f-string per good row (whose only free text is the name,
    e-mail and school, escaped when they hold a tab, line break or backslash), each value of a bad row escaped."""
    lines = []
    for (line, _, digest, nama, email, npsn, satuan, kode, error), cipher in zip(batch, ciphers, strict=True):
        if error is None:
            free = nama + email + satuan
            if "\\" in free or "\t" in free or "\n" in free or "\r" in free:
                nama, email, satuan = _escaped(nama), _escaped(email), _escaped(satuan)
            lines.append(f"{job_id}\t{line}\t{digest}\t{cipher or NULL}\t{nama}\t{email}\t{npsn}\t{satuan}\t"
                         f"{kode}\t\\N\n")
        else:
            lines.append(f"{job_id}\t{line}\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t{_escaped(error)}\n")
    return "".join(lines)


def _copy(data: str) -> None:
    """``COPY`` on the DBAPI connection under the session, inside the session's transaction."""
    raw = db.session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(COPY_SQL) as copy:
        copy.write(data)
