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
from lms.core.regions import kabkota_name, province_name, within_region
from lms.curriculum.models import Materi, Module
from lms.extensions import db
from lms.progress.models import ProgressSummary as S

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
    """The cohort's progress per group, from the read model (``progress_summary``). ``region``: a province
    (2 digits) or kab/kota (4 digits) code prefix of the participants' kab/kota.

    By cohort, province or kab/kota: two grouped statements per kab/kota, each over one table's index (statuses
    and completions from the enrollments, parts done from the summary rows), added up here; by school, one
    statement joining the roster."""
    if group not in GROUPS:
        raise Invalid(details={"group": ", ".join(GROUPS)})
    total = parts_total(cohort) or 1
    if group == "school":
        return _by_school(cohort, total, region)
    statuses = [func.sum(case((Enrollment.status == s, 1), else_=0)) for s in STATUSES]
    counts = (select(Enrollment.kode_kabkota, func.count(), func.sum(case((Enrollment.completed_at.is_not(None), 1),
                                                                          else_=0)), *statuses)
              .where(Enrollment.cohort_id == cohort.id, *_in_region(Enrollment.kode_kabkota, region))
              .group_by(Enrollment.kode_kabkota))
    done = dict(db.session.execute(
        select(S.kode_kabkota, func.sum(S.parts_done))
        .where(S.cohort_id == cohort.id, *_in_region(S.kode_kabkota, region)).group_by(S.kode_kabkota)).all())
    groups: dict[str, list] = {}
    for kode, participants, complete, *by_status in db.session.execute(counts):
        key = cohort.code if group == "cohort" else (kode[:2] if group == "province" else kode) if kode else "-"
        sums = groups.setdefault(key, [0, 0, 0, [0] * len(STATUSES)])
        sums[0] += participants
        sums[1] += int(complete or 0)
        sums[2] += int(done.get(kode) or 0)
        sums[3] = [a + int(b or 0) for a, b in zip(sums[3], by_status, strict=True)]
    report = []
    for key in sorted(groups, key=lambda k: (k == "-", k)):
        participants, complete, parts_done, by_status = groups[key]
        name = cohort.name if group == "cohort" else _label(group, cohort, {"key": None if key == "-" else key})
        report.append(ReportRow(key, name, participants, dict(zip(STATUSES, by_status, strict=True)), complete,
                                round(parts_done * 100.0 / total / participants, 1)))
    return report


def _in_region(column, region: str | None) -> list:
    return [within_region(column, region)] if region else []


def _by_school(cohort: Cohort, total: int, region: str | None) -> list[ReportRow]:
    key, name = RosterEntry.npsn, func.min(RosterEntry.satuan_pendidikan)
    columns = [key.label("key"), func.count(Enrollment.id).label("participants")]
    columns += [func.sum(case((Enrollment.status == s, 1), else_=0)).label(s) for s in STATUSES]
    columns += [func.sum(case((Enrollment.completed_at.is_not(None), 1), else_=0)).label("complete"),
                func.avg(func.coalesce(S.parts_done, 0) * 100.0 / total).label("average"), name.label("name")]
    query = (select(*columns).select_from(Enrollment).outerjoin(S, S.enrollment_id == Enrollment.id)
             .join(User, User.id == Enrollment.user_id)
             .outerjoin(RosterEntry, (RosterEntry.email == User.email) & (RosterEntry.cohort_id == cohort.id))
             .where(Enrollment.cohort_id == cohort.id, *_in_region(Enrollment.kode_kabkota, region))
             .group_by(key).order_by(key))
    return [ReportRow(str(row["key"] or "-"), _label("school", cohort, row), row["participants"],
                      {s: int(row[s] or 0) for s in STATUSES}, int(row["complete"] or 0),
                      round(float(row["average"] or 0), 1))
            for row in db.session.execute(query).mappings() if row["participants"]]


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
