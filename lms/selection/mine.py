"""The teacher's own determination as a page (``/sertifikasi/penetapan-saya``, reachable from the gate, the
dashboard and Cek NIK) and as a template helper the gate page uses. Only the logged-in account's own data."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from lms.selection.determination import Determination, determination_for
from lms.selection.listing import ENTRY_STATUS_LABELS

bp = Blueprint("my_selection", __name__, url_prefix="/sertifikasi/penetapan-saya")


@bp.get("/")
def show():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    return render_template("selection/mine.html", mine=my_determination(), labels=ENTRY_STATUS_LABELS)


def my_determination() -> Determination | None:
    """The logged-in account's determination (``status`` None when in no published run); None when anonymous."""
    if not current_user.is_authenticated:
        return None
    return determination_for(current_user.email)


def install_template_helpers(app) -> None:
    app.jinja_env.globals["my_determination"] = my_determination
    app.jinja_env.globals["selection_status_labels"] = ENTRY_STATUS_LABELS
