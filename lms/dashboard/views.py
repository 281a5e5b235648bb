"""The teacher's dashboard: cohort, timeline with countdown, each module's three parts, progress, next step."""

from __future__ import annotations

from flask import Blueprint, g, render_template
from flask_login import current_user

from lms.cohorts.access import participant_required
from lms.core.boundary import reads_only
from lms.core.time import now_utc
from lms.dashboard.services import dashboard_context

bp = Blueprint("dashboard", __name__, url_prefix="/sertifikasi")


@bp.get("/")
@reads_only
@participant_required
def index():
    return render_template("dashboard/index.html", **dashboard_context(g.enrollment, email=current_user.email,
                                                                    now=now_utc()))
