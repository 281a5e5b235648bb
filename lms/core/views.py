"""Pages that belong to no domain: home, health, language choice."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import text

from lms.core.boundary import reads_only
from lms.core.formatting import ZONE_COOKIE
from lms.core.health import readiness
from lms.core.i18n import LANG_COOKIE
from lms.core.redirects import safe_next
from lms.core.regions import ZONE_LABELS
from lms.core.time import now_utc
from lms.extensions import csrf, db

bp = Blueprint("core", __name__)


@bp.get("/")
def home():
    if current_user.is_authenticated and "lms_home_for" in current_app.extensions:
        return redirect(current_app.extensions["lms_home_for"](current_user))
    return render_template("core/home.html", user=current_user)


@bp.get("/healthz")
@reads_only
@csrf.exempt
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any database failure means unhealthy
        current_app.logger.warning("health check failed: %s", exc)
        return jsonify({"status": "error", "database": "unavailable"}), 503
    return jsonify({"status": "ok", "database": "ok", "time": now_utc().isoformat()})


@bp.get("/readyz")
@csrf.exempt
def readyz():
    """200 only when the database (migrations at head) and Redis answer; 503 with the reason otherwise."""
    checks = readiness()
    ready = all(value == "ok" for value in checks.values())
    if not ready:
        current_app.logger.warning("not ready: %s", checks)
    return jsonify({"status": "ok" if ready else "unavailable", **checks}), 200 if ready else 503


@bp.post("/lang")
def set_language():
    lang = request.form.get("lang", "id")
    if lang not in current_app.config["LANGUAGES"]:
        lang = "id"
    target = safe_next(request.form.get("next")) or url_for("core.home")
    response = redirect(target)
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax",
                        secure=current_app.config["PRODUCTION"], httponly=True)
    return response


@bp.post("/zona")
def set_zone():
    """The zone times are shown in (WIB, WITA or WIT), chosen by the viewer."""
    tz = request.form.get("tz", "")
    target = safe_next(request.form.get("next")) or url_for("core.home")
    response = redirect(target)
    if tz in ZONE_LABELS:
        response.set_cookie(ZONE_COOKIE, tz, max_age=365 * 24 * 3600, samesite="Lax",
                            secure=current_app.config["PRODUCTION"], httponly=True)
    return response
