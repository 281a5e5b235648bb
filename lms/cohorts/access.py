"""The Sertifikasi Pendidik gate for pages: only participants of a cohort get past it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import g, redirect, render_template, request, url_for
from flask_login import current_user

from lms.cohorts.services import current_enrollment


def participant_required(view: Callable) -> Callable:
    """Load the participant's enrollment into ``g.enrollment``; anyone else sees the gate page."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        user = current_user._get_current_object()  # once: each use of the proxy looks the user up again
        if not user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        enrollment = current_enrollment(user.id)
        if enrollment is None or enrollment.cohort.curriculum_id is None:
            return render_template("dashboard/gate.html"), 403
        g.enrollment = enrollment
        return view(*args, **kwargs)

    return wrapper
