"""Phases 2 and 3, set-based: check the staged rows against each other and against the other cohorts of the
programme year; then, if no row is bad, apply them to roster entries, accounts and enrollments."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import String as SAString
from sqlalchemy import and_, case, cast, exists, func, insert, literal, or_, select, text, update
from sqlalchemy.orm import aliased

from lms.auth.models import User
from lms.cohorts.models import Cohort, Enrollment
from lms.cohorts.roster_models import RosterEntry, RosterImport, RosterImportRow
from lms.cohorts.services import initial_status
from lms.core.events import emit
from lms.extensions import db

NO_SYNC = {"synchronize_session": False}
#: SQLAlchemy keeps the rowcount of an INSERT only when asked.
COUNTED = {"preserve_rowcount": True}


#: What the apply phase has to do, counted over the good rows by the check against the programme year: the
#: statements with nothing to do are not sent (an unchanged file writes nothing but its staging rows).
TODO = ("new_entries", "changed_entries", "new_accounts", "moved_enrollments", "new_enrollments")
#: Memory for the sorts and hash joins of the checks and the apply (one import's transaction): the 300 000-row
#: joins fit in it instead of spilling to disk in batches.
WORK_MEM = "64MB"
#: The statistics target of the ANALYZE of the staged rows (PostgreSQL samples 300 rows per unit), and its columns.
STAGED_STATISTICS = 10
STAGED_STATISTICS_OF = ("import_id", "line", "nik_hash", "email", "error")


def check_across_rows(job: RosterImport, cohort: Cohort) -> dict[str, int]:
    """Mark the rows that clash with each other or with the programme year; count what the apply has to do.

    Runs in the apply's transaction (the counts must hold for it); on PostgreSQL with ``WORK_MEM``, after an
    ``ANALYZE`` of the staged rows in a transaction of its own, so that the planner, which has not seen them
    yet (they were all written since), joins 300 000 rows by hashing them, not by one index probe each."""
    postgres = db.session.get_bind().dialect.name == "postgresql"
    if postgres:
        # Only what the checks and the apply filter, join and group the staged rows by, from a sample of 3 000
        # rows (``STAGED_STATISTICS``): the row count and "every hash and e-mail distinct" is all their plans need.
        # The whole-table ANALYZE (30 000 rows, every text column sorted) took about three times as long.
        db.session.execute(text(f"SET LOCAL default_statistics_target = {STAGED_STATISTICS}"))
        db.session.execute(text(f"ANALYZE {RosterImportRow.__tablename__} ({', '.join(STAGED_STATISTICS_OF)})"))
        db.session.commit()
        db.session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
    rows = RosterImportRow
    mine = and_(rows.import_id == job.id, rows.error.is_(None))

    def mark(condition, error) -> None:
        db.session.execute(update(rows).where(mine, condition).values(error=error), execution_options=NO_SYNC)

    for key, label in (("nik_hash", _l("NIK sama dengan baris ")), ("email", _l("E-mail sama dengan baris "))):
        column = getattr(rows, key)
        repeated = (select(column.label("value"), func.min(rows.line).label("first")).where(mine)
                    .group_by(column).having(func.count() > 1).subquery())
        mark(and_(column == repeated.c.value, rows.line > repeated.c.first),
             literal(str(label)) + cast(repeated.c.first, SAString))
    return _mark_against_the_year(mine, cohort, postgres)


def _mark_against_the_year(mine, cohort: Cohort, postgres: bool) -> dict[str, int]:
    """One pass for the checks against what the programme year holds: each row meets the entry with its NIK, the
    entry with its e-mail (both unique in a year) and its account's enrollment of the year (unique too), by
    joins the server can hash; the first reason that applies, in this order, is the row's. The same pass counts,
    over the rows without a reason, what the apply has to do (``TODO``): on PostgreSQL one statement (the marks
    in a data-modifying CTE), elsewhere the marks and then the counts."""
    rows, year = RosterImportRow, cohort.programme_year
    by_nik, by_email = aliased(RosterEntry), aliased(RosterEntry)
    nik_cohort, email_cohort, enrolled_cohort = aliased(Cohort), aliased(Cohort), aliased(Cohort)
    elsewhere = literal(str(_l("Sudah terdaftar di angkatan lain tahun yang sama: ")))
    reason = case(
        (by_nik.cohort_id != cohort.id, elsewhere + nik_cohort.code),
        (by_email.cohort_id != cohort.id, elsewhere + email_cohort.code),
        (Enrollment.cohort_id != cohort.id,
         literal(str(_l("Akun ini sudah peserta angkatan lain tahun yang sama: "))) + enrolled_cohort.code),
        (by_nik.email != rows.email,
         literal(str(_l("NIK ini sudah terdaftar dengan e-mail lain di angkatan ini; perubahan e-mail dilakukan "
                        "oleh Pusat Bantuan.")))),
        (by_email.nik_hash != rows.nik_hash,
         literal(str(_l("E-mail ini sudah terdaftar untuk NIK lain di angkatan ini.")))),
    )
    # The conditions of the apply's statements (``apply_rows``), row by row.
    todo = {"new_entries": by_nik.id.is_(None),
            "changed_entries": and_(by_nik.id.is_not(None), _differs(by_nik, rows)),
            "new_accounts": User.id.is_(None),
            "moved_enrollments": and_(Enrollment.cohort_id == cohort.id, _moved(Enrollment, rows)),
            "new_enrollments": Enrollment.id.is_(None)}
    found = (select(rows.id.label("id"), reason.label("reason"),
                    *(case((condition, 1), else_=0).label(name) for name, condition in todo.items()))
             .select_from(rows)
             .outerjoin(by_nik, and_(by_nik.programme_year == year, by_nik.nik_hash == rows.nik_hash))
             .outerjoin(nik_cohort, nik_cohort.id == by_nik.cohort_id)
             .outerjoin(by_email, and_(by_email.programme_year == year, by_email.email == rows.email))
             .outerjoin(email_cohort, email_cohort.id == by_email.cohort_id)
             .outerjoin(User, User.email == rows.email)
             .outerjoin(Enrollment, and_(Enrollment.user_id == User.id, Enrollment.programme_year == year))
             .outerjoin(enrolled_cohort, enrolled_cohort.id == Enrollment.cohort_id)
             .where(mine))
    if postgres:
        found = found.cte("found")
        marked = (update(rows).where(rows.id == found.c.id, found.c.reason.is_not(None))
                  .values(error=found.c.reason).returning(rows.id).cte("marked"))
        counts = select(*(func.count().filter(and_(found.c.reason.is_(None), found.c[name] == 1)) for name in TODO),
                        select(func.count()).select_from(marked).scalar_subquery())
        return dict(zip(TODO, db.session.execute(counts).one()[:len(TODO)], strict=True))
    found = found.subquery()
    db.session.execute(update(rows).where(rows.id == found.c.id, found.c.reason.is_not(None))
                       .values(error=found.c.reason), execution_options=NO_SYNC)
    counts = select(*(func.coalesce(func.sum(found.c[name]), 0) for name in TODO))
    return dict(zip(TODO, db.session.execute(counts).one(), strict=True))


def _differs(entry, rows):
    return or_(entry.nama != rows.nama, entry.npsn != rows.npsn, entry.satuan_pendidikan != rows.satuan_pendidikan,
               entry.kode_kabkota != rows.kode_kabkota)


def _moved(enrollment, rows):
    return or_(enrollment.kode_kabkota.is_distinct_from(rows.kode_kabkota),
               enrollment.npsn.is_distinct_from(rows.npsn))


#: Rows written to a table by one statement from which its planner statistics are refreshed before they are used.
RESTATE_ROWS = 1000


#: The roster entries' columns the check against the programme year joins on (their other columns' statistics are
#: left to autovacuum: the ANALYZE of these four took 0.2 s of CPU for 100 000 entries, of every column 0.55 s).
ENTRY_STATISTICS_OF = ("cohort_id", "programme_year", "nik_hash", "email")


def _restate(model, written: int, columns: tuple[str, ...] = ()) -> None:
    """PostgreSQL: ``ANALYZE`` a table this transaction has just written ``written`` rows to, when they are many.

    The roster entries: the next import's check against the programme year joins them, planned from their
    statistics; taken before this import (an empty year), those say "one row", and a re-import of 100 000 rows
    probed an index and scanned the cohorts once per entry (7.6 s of the 10.9 s after staging, loaded machine).
    The accounts and enrollments: the next statements check their foreign keys against them, one look-up per row
    written, with a plan made from the table's statistics. Taken while the table was nearly empty (autovacuum
    analyses a new installation's small tables), those say "one page": the look-up scans the whole table, and a
    first national import of 300 000 participants goes quadratic (100 000 rows took 98 s instead of about 6, almost
    all of it in the progress rows' foreign key on ``enrollments``). ``ANALYZE`` in the transaction counts its own
    new rows and invalidates the cached look-up plans."""
    if written >= RESTATE_ROWS and db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text(f"ANALYZE {model.__tablename__}" + (f" ({', '.join(columns)})" if columns else "")))


def apply_rows(job: RosterImport, cohort: Cohort, now: datetime, todo: dict[str, int] | None = None) -> dict:
    """Write the (all good) staged rows; every count is the rowcount of the statement that did the work. A
    statement that ``todo`` (``check_across_rows``, same transaction) counts nothing for is not sent; None: all."""
    def needed(name: str) -> bool:
        return todo is None or todo[name] > 0

    rows, entry = RosterImportRow, RosterEntry
    mine = rows.import_id == job.id
    known = and_(entry.programme_year == cohort.programme_year, entry.nik_hash == rows.nik_hash)  # unique index
    updated = inserted = accounts = moved = enrollments = 0
    # Updates first: then they meet only the entries that were there before this import.
    if needed("changed_entries"):
        updated = db.session.execute(update(entry).where(known, mine, _differs(entry, rows)).values(
            nama=rows.nama, npsn=rows.npsn, satuan_pendidikan=rows.satuan_pendidikan, kode_kabkota=rows.kode_kabkota,
            updated_at=now), execution_options=NO_SYNC).rowcount
    # A staged row without ``nik_encrypted`` was known when staged; were its entry gone by now, the NOT NULL
    # constraint refuses the insert and the whole import fails (nothing half-applied).
    if needed("new_entries"):
        inserted = db.session.execute(insert(entry).from_select(
            ["cohort_id", "programme_year", "nik_hash", "nik_encrypted", "nama", "email", "npsn",
             "satuan_pendidikan", "kode_kabkota", "created_at", "updated_at"],
            select(literal(cohort.id), literal(cohort.programme_year), rows.nik_hash, rows.nik_encrypted, rows.nama,
                   rows.email, rows.npsn, rows.satuan_pendidikan, rows.kode_kabkota,
                   literal(now, entry.created_at.type), literal(now, entry.updated_at.type))
            .where(mine, ~exists().where(known))), execution_options=COUNTED).rowcount
    _restate(entry, inserted, ENTRY_STATISTICS_OF)
    if needed("new_accounts"):
        accounts = db.session.execute(insert(User).from_select(
            ["email", "name", "created_at", "active"],
            select(rows.email, rows.nama, literal(now, User.created_at.type), literal(True))
            .where(mine, ~exists().where(User.email == rows.email))), execution_options=COUNTED).rowcount
    _restate(User, accounts)
    if needed("moved_enrollments"):
        moved = db.session.execute(update(Enrollment).where(
            Enrollment.cohort_id == cohort.id, Enrollment.user_id == User.id, User.email == rows.email, mine,
            _moved(Enrollment, rows)).values(kode_kabkota=rows.kode_kabkota, npsn=rows.npsn),
            execution_options=NO_SYNC).rowcount
    if moved:
        emit("cohort.enrollments_moved", cohort_id=cohort.id)
    if needed("new_enrollments"):
        status = initial_status(cohort, now)
        not_enrolled = ~exists().where(Enrollment.user_id == User.id,
                                       Enrollment.programme_year == cohort.programme_year)
        enrollments = db.session.execute(insert(Enrollment).from_select(
            ["user_id", "cohort_id", "programme_year", "status", "kode_kabkota", "npsn", "created_at"],
            select(User.id, literal(cohort.id), literal(cohort.programme_year), literal(status), rows.kode_kabkota,
                   rows.npsn, literal(now, Enrollment.created_at.type))
            .join(User, User.email == rows.email)
            .where(mine, not_enrolled)), execution_options=COUNTED).rowcount
    _restate(Enrollment, enrollments)
    if enrollments:
        emit("cohort.enrollments_created", cohort_id=cohort.id)  # their progress rows, set-based too
    return {"inserted": inserted, "updated": updated, "unchanged": job.rows_read - inserted - updated,
            "accounts_created": accounts, "enrollments_created": enrollments}
