"""Journal page: the prompts, a draft that saves itself (see static/journal.js), submit, revise."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from lms.cohorts.access import participant_required
from lms.cohorts.services import window_state
from lms.core.time import now_utc
from lms.extensions import db
from lms.journal import services
from lms.modules import services as modules

bp = Blueprint("journal", __name__, url_prefix="/sertifikasi/modul/<int:module_id>/jurnal")


@bp.get("/")
@participant_required
def edit(module_id: int):
    now = now_utc()
    module = modules.get_module(g.enrollment, module_id)
    view = services.get_journal(g.enrollment, module, now=now)
    return render_template("journal/edit.html", module=module, view=view, answers=view.answers, errors={},
                           window=window_state(g.enrollment, now).value)


@bp.post("/")
@participant_required
def save(module_id: int):
    now = now_utc()
    module = modules.get_module(g.enrollment, module_id)
    answers = {key.removeprefix("p"): value for key, value in request.form.items() if key.startswith("p")}
    submit = request.form.get("action") == "submit"
    version = request.form.get("version", type=int)
    result = services.save_journal(g.enrollment, module, answers, submit=submit, now=now, version=version)
    db.session.commit()  # the draft is kept whatever happens to the submission
    if result.errors:
        return render_template("journal/edit.html", module=module, view=result.view, answers=result.view.answers,
                               errors=result.errors, window=window_state(g.enrollment, now).value), 422
    flash(_("Jurnal terkirim.") if result.submitted else _("Draf jurnal tersimpan."), "success")
    if result.submitted:
        return redirect(url_for("learning.module", module_id=module_id))
    return redirect(url_for("journal.edit", module_id=module_id))
