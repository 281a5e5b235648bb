"""Who sees the progress of which region: a dinas user its own kab/kota, an LPMP its province, admins everything.

The regions are those a user acts for (``dinas_regions``: 4-digit kab/kota codes for a dinas, set with
``lms selection assign-region``; 2-digit province codes for an LPMP, set with ``lms selection assign-province``).
Every regional page and API call resolves the region it reports through ``resolve_region`` first: a region
outside the user's own is refused (403), whatever the URL asks. The reports and lists themselves are the admin's
(``reports.progress_report``, ``enrollments.enrollments_page``) with that region as a filter."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from lms.auth.models import User
from lms.cohorts.models import Cohort, Enrollment
from lms.core.errors import Forbidden, Invalid, NotFound
from lms.core.regions import is_region_code, region_contains, within_region
from lms.extensions import db
from lms.selection.removal import regions_of

#: Who reads the regional reports: admins everything, dinas and LPMP their own region.
VIEW_ROLES = ("admin_angkatan", "dinas", "lpmp")
#: The groupings a regional report offers (the whole cohort is the admin's page).
GROUPS = ("province", "kabkota", "school")


class NoRegionScope(Forbidden):
    code = "no_region_scope"
    message = _l("Akun Anda belum ditautkan ke wilayah mana pun, sehingga belum dapat melihat laporan progres. "
                 "Minta admin menautkannya (dinas: kabupaten/kota; LPMP: provinsi).")


class OtherRegion(Forbidden):
    code = "other_region"
    message = _l("Anda hanya dapat melihat progres peserta di wilayah Anda.")


def report_scope(user: User) -> tuple[str, ...] | None:
    """The regions ``user`` may read: ``None`` for every one (admin_angkatan, superadmin); else the kab/kota of a
    dinas user and the provinces of an LPMP user. Someone tied to none reads nothing (``NoRegionScope``)."""
    if user.has_any_role("admin_angkatan"):
        return None
    codes = regions_of(user)
    roles = set(user.roles)
    scope = {c for c in codes if len(c) == 4 and "dinas" in roles} | {c for c in codes if len(c) == 2
                                                                        and "lpmp" in roles}
    if not scope:
        raise NoRegionScope()
    return tuple(sorted(scope))


def resolve_region(scope: tuple[str, ...] | None, requested: str | None) -> str | None:
    """The region to report: the one asked for, if it lies within ``scope``; when none is asked, the scope's
    first (``None``, everything, for an admin). A malformed code is a 422, one outside the scope a 403."""
    requested = (requested or "").strip() or None
    if requested is not None and not is_region_code(requested):
        raise Invalid(details={"wilayah": str(_l("Kode wilayah: 2 angka (provinsi) atau 4 angka (kabupaten/kota)."))})
    if scope is None:
        return requested
    if requested is None:
        return scope[0]
    if not any(region_contains(mine, requested) for mine in scope):
        raise OtherRegion()
    return requested


def cohorts_in(region: str | None) -> list[tuple[Cohort, int]]:
    """The cohorts with participants in ``region`` (every cohort for ``None``), with that count; by learning
    start. One statement (an index range per cohort on enrollments (cohort_id, kode_kabkota))."""
    counts = select(Enrollment.cohort_id, func.count().label("n"))
    if region:
        counts = counts.where(within_region(Enrollment.kode_kabkota, region))
    counts = counts.group_by(Enrollment.cohort_id).subquery()
    query = (select(Cohort, counts.c.n).join(counts, counts.c.cohort_id == Cohort.id)
             .order_by(Cohort.learning_opens_at.desc(), Cohort.code))
    return [(cohort, n) for cohort, n in db.session.execute(query)]


def find_cohort(code: str) -> Cohort:
    cohort = db.session.scalar(select(Cohort).where(Cohort.code == code))
    if cohort is None:
        raise NotFound(_l("Angkatan %(code)s tidak ditemukan.", code=code))
    return cohort
