"""A cohort's participants, by e-mail: one page by key (the rows after or before a cursor, so that page 5,000
costs what page 1 costs; the total in the same statement), or every one as a CSV streamed in batches of fixed
size. The admin pages, the API and the regional pages read the same functions, with the same filters."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from sqlalchemy import distinct, func, select

from lms.admin.reports import in_school, parts_total
from lms.auth.models import User
from lms.cohorts.models import Cohort, Enrollment
from lms.core import csvsafe
from lms.core.db import LIKE_ESCAPE, contains_pattern
from lms.core.paging import Keyset, KeysetPage
from lms.core.regions import within_region
from lms.extensions import db
from lms.journal.models import JournalEntry
from lms.modules.models import MateriProgress
from lms.posttest.models import Attempt

PER_PAGE = 50
#: Rows read per statement by the CSV export: its memory is one batch, whatever the cohort's size.
CSV_BATCH = 2000
#: The participants' order: by e-mail (unique), through the users' e-mail index.
BY_EMAIL = Keyset(User.email, types=(str,))
CSV_COLUMNS = ("email", "nama", "kode_kabkota", "status", "bagian_selesai", "bagian_total", "persen",
               "selesai_semua", "diperpanjang_sampai")


def _conditions(cohort: Cohort, *, status: str | None = None, search: str | None = None,
                region: str | None = None, school: str | None = None) -> tuple[list, bool]:
    """The filter, and whether it reads the account (``User``) beyond the sort key."""
    conditions = [Enrollment.cohort_id == cohort.id]
    if region:
        conditions.append(within_region(Enrollment.kode_kabkota, region))
    if status:
        conditions.append(Enrollment.status == status)
    if school:
        conditions.append(in_school(cohort, school))
    if search:
        conditions.append(User.email.like(contains_pattern(search.strip().lower()), escape=LIKE_ESCAPE))
    return conditions, bool(search)


def _count(conditions: list, needs_user: bool):
    query = select(func.count()).select_from(Enrollment)
    if needs_user:
        query = query.join(User, User.id == Enrollment.user_id)
    return query.where(*conditions)


def enrollments_page(cohort: Cohort, *, status: str | None = None, search: str | None = None,
                     region: str | None = None, school: str | None = None, page: int = 1,
                     per_page: int | None = None, after: str | None = None, before: str | None = None) -> KeysetPage:
    """One page of participants with their account, ordered by e-mail; rows and total in one statement.

    ``after``/``before``: a cursor from a previous page (its ``next_cursor``/``prev_cursor``): the rows are found
    by key through the e-mail index, whatever the position. Without a cursor, ``page`` > 1 is read by OFFSET
    (kept for links made before cursors; its cost grows with the page). ``region``: a province or kab/kota code;
    ``school``: an NPSN (the progress report's rows)."""
    per_page = per_page or PER_PAGE
    conditions, needs_user = _conditions(cohort, status=status, search=search, region=region, school=school)
    total = _count(conditions, needs_user).scalar_subquery()
    query = (select(Enrollment.id, User.email, User.name, Enrollment.kode_kabkota, Enrollment.status,
                    Enrollment.completed_at, Enrollment.extended_until, total.label("total"))
             .join(User, User.id == Enrollment.user_id).where(*conditions))
    rows = list(db.session.execute(BY_EMAIL.select(query, page=page, per_page=per_page, after=after,
                                                   before=before)).mappings())
    if rows:
        count = rows[0]["total"]
    else:
        count = 0 if (page == 1 and after is None and before is None) else db.session.scalar(
            _count(conditions, needs_user))
    return BY_EMAIL.page(rows, page=page, per_page=per_page, total=count, key=lambda row: [row["email"]],
                         after=after, before=before)


def enrollments_csv(cohort: Cohort, *, status: str | None = None, region: str | None = None,
                    school: str | None = None, batch: int | None = None) -> Iterator[str]:
    """Every participant matching the filter as CSV text chunks, with their parts done: a batch of rows by key
    then its parts done (three grouped look-ups of those ids), so that memory stays one batch whatever the
    cohort. What it needs of ``cohort`` is read now: the chunks are made after the request's boundary
    (``stream_with_context``), when the request's objects are no longer loaded."""
    conditions, _ = _conditions(cohort, status=status, region=region, school=school)
    return _csv_chunks(conditions, parts_total(cohort), batch or CSV_BATCH)


def _csv_chunks(conditions: list, total_parts: int, batch: int) -> Iterator[str]:
    query = (select(Enrollment.id, User.email, User.name, Enrollment.kode_kabkota, Enrollment.status,
                    Enrollment.completed_at, Enrollment.extended_until)
             .join(User, User.id == Enrollment.user_id).where(*conditions))

    def lines(rows: list) -> Iterator[list]:
        done = parts_done([row.id for row in rows])
        return ([row.email, row.name or "", row.kode_kabkota or "", row.status, done.get(row.id, 0), total_parts,
                 round(done.get(row.id, 0) * 100.0 / total_parts, 1) if total_parts else 0.0,
                 row.completed_at.isoformat() if row.completed_at else "",
                 row.extended_until.isoformat() if row.extended_until else ""] for row in rows)

    return csv_stream(CSV_COLUMNS, batches_by_key(query, User.email, batch), lines)


def batches_by_key(query, key, batch: int = CSV_BATCH) -> Iterator[list]:
    """The rows of ``query`` in order of ``key`` (a unique column it selects), ``batch`` rows per statement, each
    statement continuing after the last key read: the memory is one batch, whatever the number of rows."""
    last = None
    while True:
        page = query if last is None else query.where(key > last)
        rows = db.session.execute(page.order_by(None).order_by(key).limit(batch)).all()
        if not rows:
            return
        yield rows
        if len(rows) < batch:
            return
        last = getattr(rows[-1], key.key)


def csv_stream(header, batches: Iterator[list], lines: Callable[[list], Iterable]) -> Iterator[str]:
    """CSV text chunks (spreadsheet-safe): the header, then ``lines(rows)`` of each batch, one chunk per batch."""
    yield _csv_text([header])
    for rows in batches:
        yield _csv_text(lines(rows))


def parts_done(enrollment_ids: list[int]) -> dict[int, int]:
    """Parts done (materi, post-tests, journals submitted) of each of these enrollments, as the report counts them."""
    done: dict[int, int] = {}
    for query in (
            select(MateriProgress.enrollment_id, func.count()).where(MateriProgress.enrollment_id.in_(enrollment_ids))
            .group_by(MateriProgress.enrollment_id),
            select(Attempt.enrollment_id, func.count(distinct(Attempt.module_id)))
            .where(Attempt.enrollment_id.in_(enrollment_ids)).group_by(Attempt.enrollment_id),
            select(JournalEntry.enrollment_id, func.count())
            .where(JournalEntry.enrollment_id.in_(enrollment_ids), JournalEntry.status == "submitted")
            .group_by(JournalEntry.enrollment_id)):
        for eid, n in db.session.execute(query):
            done[eid] = done.get(eid, 0) + n
    return done


class _Line:
    """A write-only file that keeps what the csv writer wrote last."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)


def _csv_text(rows) -> str:
    out = _Line()
    csvsafe.SafeWriter(out).writerows(rows)
    return "".join(out.parts)
