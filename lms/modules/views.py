"""Module and materi pages."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for
from markupsafe import Markup

from lms.cohorts.access import participant_required
from lms.cohorts.services import window_state
from lms.core.markdown import render_markdown
from lms.core.time import now_utc
from lms.learning import services as learning
from lms.modules import services
from lms.modules.progress import compute_progress

bp = Blueprint("learning", __name__, url_prefix="/sertifikasi")


@bp.get("/modul/<int:module_id>")
@participant_required
def module(module_id: int):
    now = now_utc()
    learning.require_readable(g.enrollment, now)
    module = learning.get_module(g.enrollment, module_id)
    progress = compute_progress(g.enrollment)
    return render_template("modules/module.html", module=module, state=learning.module_state(progress, module),
                           window=window_state(g.enrollment, now).value)


@bp.get("/materi/<int:materi_id>")
@participant_required
def materi(materi_id: int):
    now = now_utc()
    materi = services.get_materi(g.enrollment, materi_id)
    # "Simpan untuk offline" fetches every materi with Purpose: prefetch; that is not where the teacher is.
    prefetch = "prefetch" in (request.headers.get("Purpose", ""), request.headers.get("Sec-Purpose", ""))
    state = services.open_materi(g.enrollment, materi, now=now, remember=not prefetch)
    done = next(m.done for m in state.materi if m.id == materi.id)
    return render_template("modules/materi.html", materi=materi, module=materi.module, state=state, done=done,
                           body=Markup(render_markdown(materi.body_md)),  # noqa: S704 - sanitised renderer
                           next_id=services.next_materi_id(materi.module, materi),
                           window=window_state(g.enrollment, now).value)


@bp.post("/materi/<int:materi_id>/selesai")
@participant_required
def complete_materi(materi_id: int):
    materi = services.get_materi(g.enrollment, materi_id)
    progress = services.complete_materi(g.enrollment, materi, now=now_utc())
    next_id = services.next_materi_id(materi.module, materi)
    if next_id is not None:
        return redirect(url_for("learning.materi", materi_id=next_id))
    state = progress.module(materi.module_id)
    if state.posttest_unlocked and not state.posttest_done:
        return redirect(url_for("posttest.take", module_id=materi.module_id))
    return redirect(url_for("learning.module", module_id=materi.module_id))
