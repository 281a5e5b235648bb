"""Where each role lands after login, and the zone a participant reads times in (set once, at login)."""

from __future__ import annotations

from flask import url_for

from lms.cohorts.services import current_enrollment
from lms.core.regions import timezone_for


def home_for(user) -> str:
    """Each role's own working page: the most specific role wins for accounts holding several."""
    roles = set(user.roles)
    if "superadmin" in roles:
        return url_for("roles.index")
    if "admin_angkatan" in roles:
        return url_for("admin.index")
    if "helpdesk" in roles:
        return url_for("helpdesk.queue")
    if roles & {"dinas", "lpmp"}:
        return url_for("selection.index")
    return url_for("dashboard.index")


def participant_zone(user) -> str | None:
    """The zone of the participant's province (WIB, WITA or WIT), or None for someone enrolled nowhere."""
    enrollment = current_enrollment(user.id)
    return timezone_for(enrollment.kode_kabkota) if enrollment else None
