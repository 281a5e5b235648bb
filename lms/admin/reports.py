"""Progress of a cohort grouped by province, kab/kota or school: one grouped SQL query, no rows in Python."""

from __future__ import annotations

import io
from dataclasses import dataclass

from sqlalchemy import case, exists, func, select

from lms.auth.models import User
from lms.cohorts.models import STATUSES, Cohort, Enrollment
from lms.cohorts.roster_models import RosterEntry
from lms.core import csvsafe
from lms.core.errors import Invalid
from lms.core.regions import kabkota_name, province_name
from lms.curriculum.models import Materi, Module
from lms.extensions import db
from lms.progress.models import ProgressSummary

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


def in_school(cohort: Cohort, npsn: str):
    """The participant (joined ``User``) has a roster row of ``cohort`` at school ``npsn``: the progress report's
    school rows, as a filter."""
    return exists().where(RosterEntry.cohort_id == cohort.id, RosterEntry.email == User.email,
                          RosterEntry.npsn == npsn)


def progress_report(cohort: Cohort, group: str, region: str | None = None) -> list[ReportRow]:
    """The cohort's progress per group, from the read model (``progress_summary``): one grouped statement over the
    cohort's enrollments and their summary rows. ``region``: a province (2 digits) or kab/kota (4 digits) code
    prefix of the participants' kab/kota."""
    if group not in GROUPS:
        raise Invalid(details={"group": ", ".join(GROUPS)})
    total = parts_total(cohort) or 1
    conditions = [Enrollment.cohort_id == cohort.id]
    if region:
        conditions.append(Enrollment.kode_kabkota.startswith(region, autoescape=True))
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
                func.avg(func.coalesce(ProgressSummary.parts_done, 0) * 100.0 / total).label("average")]
    if name is not None:
        columns.append(name.label("name"))
    query = (select(*columns).select_from(Enrollment)
             .outerjoin(ProgressSummary, ProgressSummary.enrollment_id == Enrollment.id).where(*conditions))
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
