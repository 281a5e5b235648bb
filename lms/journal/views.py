"""Journal page: the prompts, a draft that saves itself (see static/journal.js), submit, revise."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.auth import stash
from lms.auth.sessions import browser_storage_key
from lms.cohorts.access import participant_required
from lms.cohorts.services import window_state
from lms.core.boundary import keep_writes_on_refusal
from lms.core.errors import DomainError, Invalid
from lms.core.time import now_utc
from lms.journal import services
from lms.journal.models import MAX_ANSWER_LENGTH
from lms.learning import services as learning

bp = Blueprint("journal", __name__, url_prefix="/sertifikasi/modul/<int:module_id>/jurnal")
#: The reasons a submission was refused, carried over the redirect to the journal page (the draft is saved).
REFUSED_KEY = "journal_refused"


def _page(module, view, *, answers, errors=None, saved=None, draft_saved=False, refusal=None, stashed=False):
    """``saved``: on a version conflict, the newer saved answers shown beside the typed ones. ``stashed``: the typed
    text shown was refused and is kept on the server (``lms.auth.stash``) until it is saved or given up."""
    now = now_utc()
    owner = browser_storage_key(current_user.id, current_app.config["SECRET_KEY"])
    return render_template("journal/edit.html", module=module, view=view, answers=answers, errors=errors or {},
                           saved=saved, draft_saved=draft_saved, owner=owner, max_length=MAX_ANSWER_LENGTH,
                           refusal=refusal, stashed=stashed, window=window_state(g.enrollment, now).value)


def _scope(module_id: int) -> str:
    return f"journal:{g.enrollment.id}:{module_id}"


def _version(view) -> int:
    return view.entry.version if view.entry else 0


@bp.get("/")
@participant_required
def edit(module_id: int):
    now = now_utc()
    module = learning.get_module(g.enrollment, module_id)
    view = services.get_journal(g.enrollment, module, now=now)
    kept = stash.get(_scope(module_id), now=now)
    if kept:
        # A refused POST redirected here: its typed text goes back into the boxes. When the journal was saved
        # since the text was typed (in another window, or it was a version conflict), the newer saved text is
        # shown beside it, and nothing overwrites it until the person picks one.
        conflict = kept["kind"] == "conflict" or kept.get("version") not in (None, _version(view))
        return _page(module, view, answers={**view.answers, **kept["answers"]}, errors=kept.get("errors"),
                     saved=view.answers if conflict else None, refusal=kept.get("message"), stashed=True)
    refused = session.pop(REFUSED_KEY, None)
    if refused and refused.get("module_id") == module_id:
        return _page(module, view, answers=view.answers, errors=refused["errors"], draft_saved=True)
    return _page(module, view, answers=view.answers)


@bp.post("/")
@participant_required
def save(module_id: int):
    """Every outcome redirects to a page (POST-redirect-GET), so that a reload never re-sends the form; text that
    could not be saved is stashed for that page."""
    now = now_utc()
    module = learning.get_module(g.enrollment, module_id)
    scope, here = _scope(module_id), url_for("journal.edit", module_id=module_id)
    answers = {key.removeprefix("p"): value for key, value in request.form.items() if key.startswith("p")}
    action = request.form.get("action")
    version = request.form.get("version", type=int)
    if action == "discard":  # "Pakai versi tersimpan": the stashed text is given up
        stash.drop(scope)
        flash(_("Versi tersimpan dipakai."), "success")
        return redirect(here, 303)
    try:
        result = services.save_journal(g.enrollment, module, answers, submit=action == "submit", now=now,
                                       version=version)
    except services.VersionConflict:
        # Saved meanwhile in another tab or device: nothing was written. The page shows the typed text in the
        # boxes and the newer saved text beside it, and the form carries the newer version, so that saving again
        # keeps the typed text on purpose.
        return stash.refuse(scope, {"kind": "conflict", "answers": answers, "version": version}, here, now=now)
    except Invalid as exc:
        # An answer is too long (or not one of this journal's prompts): nothing is saved, the typed text stays.
        return stash.refuse(scope, {"kind": "invalid", "answers": answers, "version": version,
                                    "errors": exc.details}, here, now=now)
    except DomainError as exc:
        # E.g. the learning window closed while the text was typed: nothing is saved, the text is shown again
        # (read-only when the window is over) with the reason, so that it can still be copied.
        return stash.refuse(scope, {"kind": "refused", "answers": answers, "version": version,
                                    "message": str(exc.message)}, here, now=now)
    stash.drop(scope)  # saved: a text stashed by an earlier refusal is no longer needed
    if result.errors:
        # The draft is kept although the submission is refused. Redirect (POST-redirect-GET) so that a reload
        # shows the saved draft and the reasons again instead of re-sending an outdated version.
        keep_writes_on_refusal()
        session[REFUSED_KEY] = {"module_id": module_id, "errors": result.errors}
        return redirect(here, 303)
    if result.submitted:
        step = learning.progress_of(g.enrollment).next_step()
        flash(_("Jurnal terkirim. Lanjutkan ke langkah berikutnya.") if step.kind != "done"
              else _("Jurnal terkirim. Semua modul telah selesai."), "success")
        return redirect(_step_url(step), 303)
    flash(_("Draf jurnal tersimpan."), "success")
    return redirect(here, 303)


def _step_url(step) -> str:
    """Where the participant goes after a journal: the next thing to do, else the dashboard."""
    if step.kind == "materi":
        return url_for("learning.materi", materi_id=step.materi_id)
    if step.kind == "posttest":
        return url_for("posttest.take", module_id=step.module_id)
    if step.kind == "journal":
        return url_for("journal.edit", module_id=step.module_id)
    return url_for("dashboard.index")
