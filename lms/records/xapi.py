"""xAPI 1.0.3 statements: who (the OIDC account), what (ADL verbs), on which activity (IRIs under LMS_BASE_URL).

The actor is ``{"account": {"homePage": ISSUER, "name": SUB}}``, never an e-mail or a NIK. The context carries the
cohort (a grouping activity and an extension) and one registration UUID per enrollment, as cmi5 does. Ids are UUID5
of what the statement records, so that the same event always gives the same statement id.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import select

from lms.auth.models import Identity
from lms.cohorts.models import Enrollment
from lms.extensions import db

ADL = "http://adlnet.gov/expapi/verbs/"
#: ADL verbs, with the display the LRS shows.
VERBS = {
    "completed": {"id": ADL + "completed", "display": {"en-US": "completed", "id-ID": "menyelesaikan"}},
    "attempted": {"id": ADL + "attempted", "display": {"en-US": "attempted", "id-ID": "mencoba"}},
    "responded": {"id": ADL + "responded", "display": {"en-US": "responded", "id-ID": "menanggapi"}},
    "registered": {"id": ADL + "registered", "display": {"en-US": "registered", "id-ID": "mendaftar"}},
    "exited": {"id": ADL + "exited", "display": {"en-US": "exited", "id-ID": "membatalkan"}},
}
ACTIVITY_TYPES = {
    "materi": "http://adlnet.gov/expapi/activities/lesson",
    "posttest": "http://adlnet.gov/expapi/activities/assessment",
    "journal": "http://adlnet.gov/expapi/activities/interaction",
    "module": "http://adlnet.gov/expapi/activities/module",
    "curriculum": "http://adlnet.gov/expapi/activities/course",
    "cohort": "http://adlnet.gov/expapi/activities/course",
    "ukppg": "http://adlnet.gov/expapi/activities/meeting",
}


def base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def iri(path: str) -> str:
    """A stable activity IRI under ``LMS_BASE_URL``, built from codes that survive a re-import and are the same in
    every installation (curriculum and module codes, materi positions), never from database ids."""
    return f"{base_url()}/xapi/activities/{path}"


def curriculum_path(enrollment) -> str:
    return f"curriculum/{enrollment.cohort.curriculum.code}"


def module_path(enrollment, module) -> str:
    return f"{curriculum_path(enrollment)}/module/{module.code}"


def statement_uuid(key: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{base_url()}/xapi/statements/{key}"))


def registration_uuid(enrollment_id: int) -> str:
    """One registration UUID per enrollment (the cmi5 registration), the same in every statement of it."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{base_url()}/xapi/registrations/{enrollment_id}"))


def actor_of(user_id: int) -> dict:
    """The participant's OIDC account (issuer, ``sub``). An account that never logged in (created by
    ``lms tokens create``) has no ``sub`` yet: it is named by an opaque id under this app's address."""
    cache = db.session.info.setdefault("lms.xapi_actors", {})
    if user_id not in cache:
        row = db.session.execute(select(Identity.issuer, Identity.subject).where(Identity.user_id == user_id)
                                 .order_by(Identity.id).limit(1)).first()
        home, name = (row.issuer, row.subject) if row else (base_url(), f"akun-{user_id}")
        cache[user_id] = {"objectType": "Agent", "account": {"homePage": home, "name": name}}
    return cache[user_id]


def activity(kind: str, path: str, name: str) -> dict:
    return {"objectType": "Activity", "id": iri(path),
            "definition": {"type": ACTIVITY_TYPES[kind], "name": {"id-ID": name}}}


def _timestamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def statement(key: str, enrollment: Enrollment, verb: str, obj: dict, *, at: datetime, parent: dict | None = None,
              result: dict | None = None) -> dict:
    cohort = enrollment.cohort
    context = {
        "registration": registration_uuid(enrollment.id),
        "platform": "lms Sertifikasi Pendidik",
        "language": "id-ID",
        "contextActivities": {"grouping": [activity("cohort", f"cohort/{cohort.code}", cohort.name)]},
        "extensions": {f"{base_url()}/xapi/extensions/cohort": cohort.code},
    }
    if parent is not None:
        context["contextActivities"]["parent"] = [parent]
    body = {"id": statement_uuid(key), "actor": actor_of(enrollment.user_id), "verb": VERBS[verb], "object": obj,
            "context": context, "timestamp": _timestamp(at)}
    if result is not None:
        body["result"] = result
    return body


def module_activity(enrollment, module) -> dict:
    """``module``: anything with ``code`` and ``title`` (a ``Module``, or a ``ModuleState`` of the progress)."""
    return activity("module", module_path(enrollment, module), module.title)


def materi_completed(enrollment, materi, module, at) -> tuple:
    key = f"materi:{enrollment.id}:{materi.id}"
    obj = activity("materi", f"{module_path(enrollment, module)}/materi/{materi.position}", materi.title)
    return key, statement(key, enrollment, "completed", obj, at=at, parent=module_activity(enrollment, module))


def posttest_attempted(enrollment, attempt_id: int, module, score: int, max_score: int, at) -> tuple:
    """The score only: a practice post-test never counts, so the result has no ``success``."""
    key = f"posttest:{attempt_id}"
    scaled = round(score / max_score, 4) if max_score else 0
    result = {"score": {"raw": score, "min": 0, "max": max_score, "scaled": scaled}}
    obj = activity("posttest", f"{module_path(enrollment, module)}/posttest", f"Post-test {module.title}")
    return key, statement(key, enrollment, "attempted", obj, at=at, parent=module_activity(enrollment, module),
                          result=result)


def journal_submitted(enrollment, entry_id: int, module, at) -> tuple:
    key = f"journal:{entry_id}:{_timestamp(at)}"
    obj = activity("journal", f"{module_path(enrollment, module)}/journal", f"Jurnal pembelajaran {module.title}")
    return key, statement(key, enrollment, "responded", obj, at=at, parent=module_activity(enrollment, module),
                          result={"completion": True})


def module_completed(enrollment, module_id: int, module, at) -> tuple:
    key = f"module:{enrollment.id}:{module_id}"
    return key, statement(key, enrollment, "completed", module_activity(enrollment, module), at=at,
                          result={"completion": True})


def curriculum_completed(enrollment, at) -> tuple:
    curriculum = enrollment.cohort.curriculum
    key = f"curriculum:{enrollment.id}"
    return key, statement(key, enrollment, "completed",
                          activity("curriculum", curriculum_path(enrollment), curriculum.title), at=at,
                          result={"completion": True})


def ukppg_activity(enrollment, session_id: int, site_name: str, day) -> dict:
    return activity("ukppg", f"ukppg/{enrollment.programme_year}/session/{session_id}",
                    f"UKPPPG {site_name} {day.isoformat()}")


def ukppg_registered(enrollment, registration, site_name: str, day, at) -> tuple:
    key = f"ukppg-register:{registration.id}"
    return key, statement(key, enrollment, "registered",
                          ukppg_activity(enrollment, registration.session_id, site_name, day), at=at)


def ukppg_cancelled(enrollment, registration_id: int, session_id: int, site_name: str, day, at) -> tuple:
    """ADL has no "unregistered": the participant exited the registration (the registered statement stays true)."""
    key = f"ukppg-cancel:{registration_id}"
    return key, statement(key, enrollment, "exited", ukppg_activity(enrollment, session_id, site_name, day), at=at)
