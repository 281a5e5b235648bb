"""The superadmin's page: who holds which role, and granting or revoking one (each change audited)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.auth import services
from lms.auth.models import User, UserRole
from lms.core.access import ROLES, role_required
from lms.core.errors import DomainError
from lms.core.time import now_utc
from lms.extensions import db

bp = Blueprint("roles", __name__, url_prefix="/akun")
#: Staff accounts listed on the page (teachers hold no role row, or only ``guru``).
LISTED = 500


@bp.get("/peran")
@role_required("superadmin")
def index():
    staff = db.session.scalars(select(User).join(UserRole, UserRole.user_id == User.id)
                               .where(UserRole.role != "guru").order_by(User.email).limit(LISTED)).unique().all()
    return render_template("auth/roles.html", staff=staff, roles=ROLES)


@bp.post("/peran")
@role_required("superadmin")
def change():
    email, role, action = (request.form.get(k, "").strip() for k in ("email", "role", "action"))
    now = now_utc()
    try:
        if role not in ROLES:
            raise DomainError(_("Pilih salah satu peran."))
        if action == "grant":
            user = services.get_or_create_account(email, now=now,
                                                  allowed_domains=current_app.config["ALLOWED_EMAIL_DOMAINS"])
            services.grant_role(user, role, now=now, actor_id=current_user.id)
            flash(_("Peran %(role)s diberikan kepada %(email)s.", role=role, email=user.email), "success")
        elif action == "revoke" and request.form.get("confirm") == "yes":
            user = services.find_user(email)
            services.revoke_role(user, role, now=now, actor_id=current_user.id)
            flash(_("Peran %(role)s dicabut dari %(email)s.", role=role, email=user.email), "success")
        else:
            raise DomainError(_("Centang konfirmasi untuk mencabut peran."))
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    return redirect(url_for("roles.index"))
