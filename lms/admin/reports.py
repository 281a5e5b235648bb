"""Progress of a cohort grouped by province, kab/kota or school: one grouped SQL query, no rows in Python."""

from __future__ import annotations

import io
from dataclasses import dataclass

from sqlalchemy import case, distinct, exists, func, select, union_all

from lms.auth.models import User
from lms.cohorts.models import STATUSES, Cohort, Enrollment
from lms.cohorts.roster_models import RosterEntry
from lms.core import csvsafe
from lms.core.errors import Invalid
from lms.core.regions import kabkota_name, province_name, within_region
from lms.curriculum.models import Materi, Module
from lms.extensions import db
from lms.journal.models import JournalEntry
from lms.modules.models import MateriProgress
from lms.posttest.models import Attempt

GROUPS = ("cohort", "province", "kabkota", "school")


@dataclass
class ReportRow:
    key: str
    name: str
    participants: int
    by_status: dict[str, int]
    complete: int
    average_percent: float

    def as_dict(self) -> dict:
        return {"key": self.key, "name": self.name, "participants": self.participants, **self.by_status,
                "complete": self.complete, "average_percent": self.average_percent}


def parts_total(cohort: Cohort) -> int:
    if cohort.curriculum_id is None:
        return 0
    materi = db.session.scalar(select(func.count(Materi.id)).join(Module)
                               .where(Module.curriculum_id == cohort.curriculum_id)) or 0
    modules = db.session.scalar(select(func.count(Module.id)).where(Module.curriculum_id == cohort.curriculum_id)) or 0
    return materi + 2 * modules


def done_subqueries(cohort: Cohort) -> tuple:
    """Per enrollment of ``cohort`` (column ``eid``): materi done, modules with a submitted post-test, journals
    submitted (column ``n``). Outer-join them to ``Enrollment`` and add them with ``done_expression``."""
    mine = Enrollment.cohort_id == cohort.id
    materi = (select(MateriProgress.enrollment_id.label("eid"), func.count().label("n"))
              .join(Enrollment, Enrollment.id == MateriProgress.enrollment_id).where(mine)
              .group_by(MateriProgress.enrollment_id).subquery())
    tests = (select(Attempt.enrollment_id.label("eid"), func.count(distinct(Attempt.module_id)).label("n"))
             .join(Enrollment, Enrollment.id == Attempt.enrollment_id).where(mine)
             .group_by(Attempt.enrollment_id).subquery())
    journals = (select(JournalEntry.enrollment_id.label("eid"), func.count().label("n"))
                .join(Enrollment, Enrollment.id == JournalEntry.enrollment_id)
                .where(mine, JournalEntry.status == "submitted").group_by(JournalEntry.enrollment_id).subquery())
    return materi, tests, journals


def done_expression(materi, tests, journals):
    """Parts done per enrollment (out of ``parts_total``), from ``done_subqueries``."""
    return func.coalesce(materi.c.n, 0) + func.coalesce(tests.c.n, 0) + func.coalesce(journals.c.n, 0)


def activity_sources() -> tuple:
    """What counts as activity: (enrollment column, instant column) pairs; the last activity is their maximum."""
    return ((MateriProgress.enrollment_id, MateriProgress.done_at), (Attempt.enrollment_id, Attempt.submitted_at),
            (JournalEntry.enrollment_id, JournalEntry.updated_at))


def last_activity_subquery(cohort: Cohort):
    """Per enrollment of ``cohort`` (column ``eid``): the last activity instant (column ``at``)."""
    parts = [select(eid.label("eid"), func.max(at).label("at")).join(Enrollment, Enrollment.id == eid)
             .where(Enrollment.cohort_id == cohort.id).group_by(eid) for eid, at in activity_sources()]
    every = union_all(*parts).subquery()
    return select(every.c.eid, func.max(every.c.at).label("at")).group_by(every.c.eid).subquery()


def in_school(cohort: Cohort, npsn: str):
    """The participant (joined ``User``) has a roster row of ``cohort`` at school ``npsn``: the progress report's
    school rows, as a filter."""
    return exists().where(RosterEntry.cohort_id == cohort.id, RosterEntry.email == User.email,
                          RosterEntry.npsn == npsn)


def progress_report(cohort: Cohort, group: str, region: str | None = None) -> list[ReportRow]:
    """``region``: only participants of that province (2 digits) or kab/kota (4 digits)."""
    if group not in GROUPS:
        raise Invalid(details={"group": ", ".join(GROUPS)})
    total = parts_total(cohort) or 1
    materi, tests, journals = done_subqueries(cohort)
    done = done_expression(materi, tests, journals)
    mine = Enrollment.cohort_id == cohort.id
    if region:
        mine = mine & within_region(Enrollment.kode_kabkota, region)
    if group == "cohort":
        key, name = func.min(Enrollment.cohort_id), None
        group_by = ()
    elif group == "province":
        key = func.substr(Enrollment.kode_kabkota, 1, 2)
        group_by, name = (key,), None
    elif group == "kabkota":
        key = Enrollment.kode_kabkota
        group_by, name = (key,), None
    else:
        key = RosterEntry.npsn
        name = func.min(RosterEntry.satuan_pendidikan)
        group_by = (key,)
    columns = [key.label("key"), func.count(Enrollment.id).label("participants")]
    columns += [func.sum(case((Enrollment.status == s, 1), else_=0)).label(s) for s in STATUSES]
    columns += [func.sum(case((Enrollment.completed_at.is_not(None), 1), else_=0)).label("complete"),
                func.avg(done * 100.0 / total).label("average")]
    if name is not None:
        columns.append(name.label("name"))
    query = (select(*columns).select_from(Enrollment)
             .outerjoin(materi, materi.c.eid == Enrollment.id).outerjoin(tests, tests.c.eid == Enrollment.id)
             .outerjoin(journals, journals.c.eid == Enrollment.id).where(mine))
    if group == "school":
        query = (query.join(User, User.id == Enrollment.user_id)
                 .outerjoin(RosterEntry, (RosterEntry.email == User.email) & (RosterEntry.cohort_id == cohort.id)))
    if group_by:
        query = query.group_by(*group_by).order_by(*group_by)
    report = []
    for row in db.session.execute(query).mappings():
        if row["participants"] == 0:
            continue
        key_value = cohort.code if group == "cohort" else (row["key"] or "-")
        label = _label(group, cohort, row)
        report.append(ReportRow(str(key_value), label, row["participants"], {s: int(row[s] or 0) for s in STATUSES},
                                int(row["complete"] or 0), round(float(row["average"] or 0), 1)))
    return report


def _label(group: str, cohort: Cohort, row) -> str:
    if group == "cohort":
        return cohort.name
    if group == "province":
        return province_name(row["key"])
    if group == "kabkota":
        return kabkota_name(row["key"])
    return row.get("name") or "-"


def report_csv(rows: list[ReportRow], group: str) -> str:
    out = io.StringIO()
    csvsafe.write_rows(out, [group, "nama", "peserta", *STATUSES, "selesai_semua", "rata_rata_persen"],
                       ([row.key, row.name, row.participants, *(row.by_status[s] for s in STATUSES), row.complete,
                         row.average_percent] for row in rows))
    return out.getvalue()
