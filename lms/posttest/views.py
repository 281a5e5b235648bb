"""Post-test pages: take it, see the score and explanations as practice feedback, retake."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for

from lms.auth import stash
from lms.cohorts.access import participant_required
from lms.cohorts.services import window_state
from lms.core.errors import Invalid
from lms.core.time import now_utc
from lms.learning import services as learning
from lms.posttest import services

bp = Blueprint("posttest", __name__, url_prefix="/sertifikasi/modul/<int:module_id>/post-test")


@bp.get("/")
@participant_required
def take(module_id: int):
    now = now_utc()
    module = learning.get_module(g.enrollment, module_id)
    services.check_posttest_open(g.enrollment, module, now=now)
    kept = stash.get(_scope(module_id), now=now)
    if kept:  # a refused attempt redirected here: its choices, with the reasons
        return render_template("posttest/take.html", module=module, questions=services.questions_for(module),
                               chosen={int(k): v for k, v in kept["chosen"].items()}, errors=kept["errors"],
                               message=kept["message"], window=window_state(g.enrollment, now).value, last=None)
    return render_template("posttest/take.html", module=module, questions=services.questions_for(module),
                           chosen={}, errors={}, window=window_state(g.enrollment, now).value,
                           last=services.latest_attempt(g.enrollment, module))


def _scope(module_id: int) -> str:
    return f"posttest:{g.enrollment.id}:{module_id}"


@bp.post("/")
@participant_required
def submit(module_id: int):
    now = now_utc()
    module = learning.get_module(g.enrollment, module_id)
    answers = {key.removeprefix("q"): value for key, value in request.form.items() if key.startswith("q")}
    try:
        result = services.submit_attempt(g.enrollment, module, answers, now=now)
    except Invalid as exc:
        # POST-redirect-GET: the page after the redirect shows the choices made and what is missing.
        chosen = {k: int(v) for k, v in answers.items() if k.isdigit() and v.isdigit() and len(v) < 12}
        return stash.refuse(_scope(module_id), {"chosen": chosen, "errors": exc.details, "message": str(exc.message)},
                            url_for("posttest.take", module_id=module_id), now=now)
    stash.drop(_scope(module_id))
    return redirect(url_for("posttest.result", module_id=module_id, attempt=result.attempt.id))


@bp.get("/hasil")
@participant_required
def result(module_id: int):
    now = now_utc()
    module = learning.get_module(g.enrollment, module_id)
    services.check_posttest_open(g.enrollment, module, now=now)
    attempt = services.latest_attempt(g.enrollment, module)
    if attempt is None:
        return redirect(url_for("posttest.take", module_id=module_id))
    questions = services.questions_for(module)
    return render_template("posttest/result.html", module=module, questions=questions,
                           result=services.result_of(attempt, questions), window=window_state(g.enrollment, now).value)
