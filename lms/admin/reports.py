"""Progress of a cohort grouped by province, kab/kota or school: one grouped SQL query, no rows in Python."""

from __future__ import annotations

import io
from dataclasses import dataclass

from sqlalchemy import case, func, select

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
    """The participant (``Enrollment``) is at school ``npsn`` (the NPSN of the cohort's roster entry, copied onto
    the enrollment): the progress report's school rows, as a filter."""
    return Enrollment.npsn == npsn


def progress_report(cohort: Cohort, group: str, region: str | None = None) -> list[ReportRow]:
    """The cohort's progress per group, from the read model (``progress_summary``). ``region``: a province
    (2 digits) or kab/kota (4 digits) code prefix of the participants' kab/kota.

    Two grouped statements per kab/kota (per school: per NPSN), each over one table's index (statuses and
    completions from the enrollments, parts done from the summary rows), added up here; by school, a third names
    the schools from the cohort's roster."""
    if group not in GROUPS:
        raise Invalid(details={"group": ", ".join(GROUPS)})
    total = parts_total(cohort) or 1
    by_school = group == "school"
    place, summary_place = (Enrollment.npsn, S.npsn) if by_school else (Enrollment.kode_kabkota, S.kode_kabkota)
    statuses = [func.sum(case((Enrollment.status == s, 1), else_=0)) for s in STATUSES]
    counts = (select(place, func.count(), func.sum(case((Enrollment.completed_at.is_not(None), 1), else_=0)),
                     *statuses)
              .where(Enrollment.cohort_id == cohort.id, *_in_region(Enrollment.kode_kabkota, region))
              .group_by(place))
    done = dict(db.session.execute(
        select(summary_place, func.sum(S.parts_done))
        .where(S.cohort_id == cohort.id, *_in_region(S.kode_kabkota, region)).group_by(summary_place)).all())
    groups: dict[str, list] = {}
    for kode, participants, complete, *by_status in db.session.execute(counts):
        key = _key(group, cohort, kode)
        sums = groups.setdefault(key, [0, 0, 0, [0] * len(STATUSES)])
        sums[0] += participants
        sums[1] += int(complete or 0)
        sums[2] += int(done.get(kode) or 0)
        sums[3] = [a + int(b or 0) for a, b in zip(sums[3], by_status, strict=True)]
    names = _school_names(cohort, region) if by_school else {}
    report = []
    for key in sorted(groups, key=lambda k: (k == "-", k)):
        participants, complete, parts_done, by_status = groups[key]
        name = names.get(key, "-") if by_school else _label(group, cohort, {"key": None if key == "-" else key})
        report.append(ReportRow(key, name, participants, dict(zip(STATUSES, by_status, strict=True)), complete,
                                round(parts_done * 100.0 / total / participants, 1)))
    return report


def _key(group: str, cohort: Cohort, kode: str | None) -> str:
    if group == "cohort":
        return cohort.code
    if not kode:
        return "-"
    return kode[:2] if group == "province" else kode


def _school_names(cohort: Cohort, region: str | None) -> dict[str, str]:
    """The name of each school of the cohort's roster (in ``region``), as the roster spells it (the first, when
    it varies)."""
    return dict(db.session.execute(
        select(RosterEntry.npsn, func.min(RosterEntry.satuan_pendidikan))
        .where(RosterEntry.cohort_id == cohort.id, *_in_region(RosterEntry.kode_kabkota, region))
        .group_by(RosterEntry.npsn)).all())


def _in_region(column, region: str | None) -> list:
    return [within_region(column, region)] if region else []


def _label(group: str, cohort: Cohort, row) -> str:
    if group == "cohort":
        return cohort.name
    if group == "province":
        return province_name(row["key"])
    return kabkota_name(row["key"])


def report_csv(rows: list[ReportRow], group: str) -> str:
    out = io.StringIO()
    csvsafe.write_rows(out, [group, "nama", "peserta", *STATUSES, "selesai_semua", "rata_rata_persen"],
                       ([row.key, row.name, row.participants, *(row.by_status[s] for s in STATUSES), row.complete,
                         row.average_percent] for row in rows))
    return out.getvalue()
