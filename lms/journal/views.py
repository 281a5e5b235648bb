"""Journal page: the prompts, a draft that saves itself (see static/journal.js), submit, revise."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.auth.sessions import browser_storage_key
from lms.cohorts.access import participant_required
from lms.cohorts.services import window_state
from lms.core.boundary import keep_writes_on_refusal
from lms.core.errors import Invalid
from lms.core.time import now_utc
from lms.journal import services
from lms.journal.models import MAX_ANSWER_LENGTH
from lms.learning import services as learning

bp = Blueprint("journal", __name__, url_prefix="/sertifikasi/modul/<int:module_id>/jurnal")
#: The reasons a submission was refused, carried over the redirect to the journal page (the draft is saved).
REFUSED_KEY = "journal_refused"


def _page(module, view, *, answers, errors=None, saved=None, draft_saved=False, status=200):
    """``saved``: on a version conflict, the newer saved answers shown beside the typed ones."""
    now = now_utc()
    owner = browser_storage_key(current_user.id, current_app.config["SECRET_KEY"])
    return render_template("journal/edit.html", module=module, view=view, answers=answers, errors=errors or {},
                           saved=saved, draft_saved=draft_saved, owner=owner, max_length=MAX_ANSWER_LENGTH,
                           window=window_state(g.enrollment, now).value), status


@bp.get("/")
@participant_required
def edit(module_id: int):
    module = learning.get_module(g.enrollment, module_id)
    view = services.get_journal(g.enrollment, module, now=now_utc())
    refused = session.pop(REFUSED_KEY, None)
    if refused and refused.get("module_id") == module_id:
        return _page(module, view, answers=view.answers, errors=refused["errors"], draft_saved=True)
    return _page(module, view, answers=view.answers)


@bp.post("/")
@participant_required
def save(module_id: int):
    now = now_utc()
    module = learning.get_module(g.enrollment, module_id)
    answers = {key.removeprefix("p"): value for key, value in request.form.items() if key.startswith("p")}
    submit = request.form.get("action") == "submit"
    version = request.form.get("version", type=int)
    try:
        result = services.save_journal(g.enrollment, module, answers, submit=submit, now=now, version=version)
    except services.VersionConflict:
        # Saved meanwhile in another tab or device: nothing was written. The typed text stays in the form,
        # the newer saved text is shown beside it, and the form now carries the newer version, so that
        # saving again keeps the typed text on purpose.
        view = services.get_journal(g.enrollment, module, now=now)
        return _page(module, view, answers={**view.answers, **answers}, saved=view.answers, status=409)
    except Invalid as exc:
        # An answer is too long (or not one of this journal's prompts): nothing is saved, the typed text stays.
        view = services.get_journal(g.enrollment, module, now=now)
        return _page(module, view, answers={**view.answers, **answers}, errors=exc.details, status=422)
    if result.errors:
        # The draft is kept although the submission is refused. Redirect (POST-redirect-GET) so that a reload
        # shows the saved draft and the reasons again instead of re-sending an outdated version.
        keep_writes_on_refusal()
        session[REFUSED_KEY] = {"module_id": module_id, "errors": result.errors}
        return redirect(url_for("journal.edit", module_id=module_id))
    if result.submitted:
        step = learning.progress_of(g.enrollment).next_step()
        flash(_("Jurnal terkirim. Lanjutkan ke langkah berikutnya.") if step.kind != "done"
              else _("Jurnal terkirim. Semua modul telah selesai."), "success")
        return redirect(_step_url(step))
    flash(_("Draf jurnal tersimpan."), "success")
    return redirect(url_for("journal.edit", module_id=module_id))


def _step_url(step) -> str:
    """Where the participant goes after a journal: the next thing to do, else the dashboard."""
    if step.kind == "materi":
        return url_for("learning.materi", materi_id=step.materi_id)
    if step.kind == "posttest":
        return url_for("posttest.take", module_id=step.module_id)
    if step.kind == "journal":
        return url_for("journal.edit", module_id=step.module_id)
    return url_for("dashboard.index")
