"""Progress of a cohort grouped by province, kab/kota or school: one grouped SQL query, no rows in Python."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
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


#: Schools per page of the report by school: a cohort spans tens of thousands of schools, more than a page or an
#: answer should carry (the CSV export carries them all). Pages follow the NPSN, after a cursor.
SCHOOLS_PER_PAGE = 200


@dataclass
class SchoolPage:
    rows: list[ReportRow]
    #: The NPSN to continue after, or None on the last page (which also holds the participants without a school).
    next_after: str | None


def progress_report(cohort: Cohort, group: str, region: str | None = None) -> list[ReportRow]:
    """The cohort's progress per group, from the read model (``progress_summary``), every group at once (the
    report by school of a whole cohort is for the CSV export: pages read ``school_page``). ``region``: a province
    (2 digits) or kab/kota (4 digits) code prefix of the participants' kab/kota.

    Two grouped statements per kab/kota (per school: per NPSN), each over one table's index (statuses and
    completions from the enrollments, parts done from the summary rows), added up here; by school, a third names
    the schools from the cohort's roster."""
    if group not in GROUPS:
        raise Invalid(details={"group": ", ".join(GROUPS)})
    by_school = group == "school"
    place, summary_place = (Enrollment.npsn, S.npsn) if by_school else (Enrollment.kode_kabkota, S.kode_kabkota)
    groups = _grouped(cohort, group, place, summary_place, region, [], [])
    return _rows(cohort, group, groups, _school_names(cohort, region) if by_school else {})


#: A school page's cursor: the NPSN it continues after.
SCHOOL_CURSOR = re.compile(r"[0-9A-Za-z]{1,16}")


def report_rows(cohort: Cohort, group: str, region: str | None = None, *, after: str | None = None,
                whole: bool = False) -> tuple[list[ReportRow], str | None]:
    """What a report page or answer shows: every group, or by school one page of schools (``whole``: all of them,
    for the CSV export); with the cursor of the next page, if any."""
    if group == "school" and not whole:
        page = school_page(cohort, region, after=after)
        return page.rows, page.next_after
    return progress_report(cohort, group, region), None


def school_page(cohort: Cohort, region: str | None = None, *, after: str | None = None,
                limit: int | None = None) -> SchoolPage:
    """One page of the report by school: the ``limit`` schools after NPSN ``after``, in NPSN order. Each statement
    reads only the page's schools through the (cohort, NPSN) indexes, so any page costs what the first does; the
    last page adds the participants whose school is not known ("-")."""
    if after is not None and not SCHOOL_CURSOR.fullmatch(after):
        raise Invalid(details={"after": str(_l("Lanjutan halaman tidak valid: NPSN sekolah terakhir yang tampil."))})
    after, limit = after or "", limit or SCHOOLS_PER_PAGE
    counted = (select(Enrollment.npsn).where(Enrollment.cohort_id == cohort.id, Enrollment.npsn > after,
                                             *_in_region(Enrollment.kode_kabkota, region))
               .group_by(Enrollment.npsn).order_by(Enrollment.npsn).limit(limit + 1))
    npsns = list(db.session.scalars(counted))
    more = len(npsns) > limit
    npsns = npsns[:limit]
    groups: dict[str, list] = {}
    if npsns:
        groups = _grouped(cohort, "school", Enrollment.npsn, S.npsn, region,
                          [Enrollment.npsn.between(npsns[0], npsns[-1])], [S.npsn.between(npsns[0], npsns[-1])])
    if not more:
        groups.update(_grouped(cohort, "school", Enrollment.npsn, S.npsn, region, [Enrollment.npsn.is_(None)],
                               [S.npsn.is_(None)]))
    names = _school_names(cohort, region, npsns) if npsns else {}
    return SchoolPage(_rows(cohort, "school", groups, names), npsns[-1] if more else None)


def _grouped(cohort: Cohort, group: str, place, summary_place, region: str | None, where: list,
             summary_where: list) -> dict[str, list]:
    """Per group key: [participants, complete, parts done, [participants per status]]."""
    statuses = [func.sum(case((Enrollment.status == s, 1), else_=0)) for s in STATUSES]
    counts = (select(place, func.count(), func.sum(case((Enrollment.completed_at.is_not(None), 1), else_=0)),
                     *statuses)
              .where(Enrollment.cohort_id == cohort.id, *_in_region(Enrollment.kode_kabkota, region), *where)
              .group_by(place))
    done = dict(db.session.execute(
        select(summary_place, func.sum(S.parts_done))
        .where(S.cohort_id == cohort.id, *_in_region(S.kode_kabkota, region), *summary_where)
        .group_by(summary_place)).all())
    groups: dict[str, list] = {}
    for kode, participants, complete, *by_status in db.session.execute(counts):
        key = _key(group, cohort, kode)
        sums = groups.setdefault(key, [0, 0, 0, [0] * len(STATUSES)])
        sums[0] += participants
        sums[1] += int(complete or 0)
        sums[2] += int(done.get(kode) or 0)
        sums[3] = [a + int(b or 0) for a, b in zip(sums[3], by_status, strict=True)]
    return groups


def _rows(cohort: Cohort, group: str, groups: dict[str, list], names: dict[str, str]) -> list[ReportRow]:
    total = parts_total(cohort) or 1
    report = []
    for key in sorted(groups, key=lambda k: (k == "-", k)):
        participants, complete, parts_done, by_status = groups[key]
        name = names.get(key, "-") if group == "school" else _label(group, cohort, {"key": None if key == "-" else key})
        report.append(ReportRow(key, name, participants, dict(zip(STATUSES, by_status, strict=True)), complete,
                                round(parts_done * 100.0 / total / participants, 1)))
    return report


def _key(group: str, cohort: Cohort, kode: str | None) -> str:
    if group == "cohort":
        return cohort.code
    if not kode:
        return "-"
    return kode[:2] if group == "province" else kode


def _school_names(cohort: Cohort, region: str | None, npsns: list[str] | None = None) -> dict[str, str]:
    """The name of each school of the cohort's roster (in ``region``; of ``npsns`` only, when given), as the roster
    spells it (the first, when it varies)."""
    only = [RosterEntry.npsn.in_(npsns)] if npsns is not None else []
    return dict(db.session.execute(
        select(RosterEntry.npsn, func.min(RosterEntry.satuan_pendidikan))
        .where(RosterEntry.cohort_id == cohort.id, *_in_region(RosterEntry.kode_kabkota, region), *only)
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
