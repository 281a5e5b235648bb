"""The participant behind an API call: loaded once per request, or a 403 ``not_participant``."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import g

from lms.cohorts.errors import NotParticipant
from lms.cohorts.services import current_enrollment
from lms.core.errors import Unauthenticated


def api_participant_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(*args, **kwargs):
        user = g.get("api_user")
        if user is None:
            raise Unauthenticated()
        enrollment = current_enrollment(user.id)
        if enrollment is None or enrollment.cohort.curriculum_id is None:
            raise NotParticipant()
        g.enrollment = enrollment
        return view(*args, **kwargs)

    return wrapper
