"""Login through OpenID Connect, the refusal page, and logout."""

from __future__ import annotations

from authlib.integrations.base_client.errors import OAuthError
from flask import Blueprint, current_app, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from joserfc.errors import JoseError
from requests import RequestException

from lms.auth import oidc
from lms.auth.services import LoginRefused, check_admissible, claims_from_id_token, login_from_claims
from lms.auth.sessions import SESSION_KEY, end_session, revoke_all_sessions, start_session
from lms.core.access import login_required
from lms.core.formatting import ZONE_COOKIE
from lms.core.redirects import safe_next
from lms.core.time import now_utc
from lms.extensions import limiter

bp = Blueprint("auth", __name__, url_prefix="/auth")

NEXT_KEY = "lms_login_next"
SELECT_ACCOUNT_KEY = "lms_select_account"


@bp.get("/login")
@limiter.limit("30/minute")
def login():
    client = oidc.client()
    if client is None:
        return render_template("auth/failed.html", message=_(
            "Login belum dikonfigurasi. Atur LMS_OIDC_ISSUER, atau LMS_DEV_IDP=1 untuk pengembangan.")), 503
    session[NEXT_KEY] = safe_next(request.args.get("next"))
    extra = {}
    # After "Keluar", or when asked, the provider must let the person pick another account.
    if session.pop(SELECT_ACCOUNT_KEY, False) or request.args.get("select_account"):
        extra["prompt"] = "select_account"
    return client.authorize_redirect(url_for("auth.callback", _external=True), **extra)


@bp.get("/callback")
@limiter.limit("30/minute")
def callback():
    client = oidc.client()
    if client is None:
        return redirect(url_for("core.home"))
    if request.args.get("error"):
        return _failed(_("Penyedia akun menolak permintaan masuk: %(error)s", error=request.args["error"]))
    try:
        token = client.authorize_access_token()
    except (OAuthError, JoseError, ValueError, KeyError, RequestException) as exc:
        current_app.logger.warning("login callback rejected: %s: %s", type(exc).__name__, exc)
        return _failed(_("Proses masuk tidak valid atau sudah kedaluwarsa. Silakan coba lagi."))
    userinfo = token.get("userinfo") or {}
    issuer = client.load_server_metadata().get("issuer")
    if issuer != current_app.config["OIDC_ISSUER"]:
        # The discovery document must name the issuer we were configured with (OIDC Discovery §4.3).
        current_app.logger.error("provider issuer %r differs from LMS_OIDC_ISSUER", issuer)
        return _failed(_("Konfigurasi penyedia akun tidak cocok. Hubungi Pusat Bantuan."))
    claims = claims_from_id_token(issuer, userinfo)
    try:
        check_admissible(claims, current_app.config["ALLOWED_EMAIL_DOMAINS"],
                         require_hd=current_app.config["OIDC_REQUIRE_HD"])
        user = login_from_claims(claims, now=now_utc())
    except LoginRefused as refusal:
        current_app.logger.info("login refused (%s) for a %s account", refusal.reason,
                                claims.email.rpartition("@")[2] or "?")
        logout_user()
        session.clear()
        session[SELECT_ACCOUNT_KEY] = True
        return render_template("auth/refused.html", refusal=refusal, email=claims.email), 403
    target = safe_next(session.get(NEXT_KEY))
    session.clear()  # a fresh session for the logged-in user (no fixation)
    session[SESSION_KEY] = start_session(user, now=now_utc())
    login_user(user)
    home = current_app.extensions.get("lms_home_for")
    response = redirect(target or (home(user) if home else url_for("core.home")))
    zone_of = current_app.extensions.get("lms_login_zone")
    tz = zone_of(user) if zone_of else None
    if tz:  # a participant reads times in their province's zone; staff keep the zone they chose
        response.set_cookie(ZONE_COOKIE, tz, max_age=365 * 24 * 3600, samesite="Lax",
                            secure=current_app.config["PRODUCTION"], httponly=True)
    return response


def _failed(message: str):
    session.pop(NEXT_KEY, None)
    return render_template("auth/failed.html", message=message), 400


def _end_browser_session():
    logout_user()
    session.clear()
    session[SELECT_ACCOUNT_KEY] = True
    return redirect(url_for("auth.logged_out"))


@bp.post("/logout")
def logout():
    end_session(session.get(SESSION_KEY), now=now_utc())
    return _end_browser_session()


@bp.post("/logout-everywhere")
@login_required
def logout_everywhere():
    """End every browser session of this account (this one included), e.g. after using a shared computer."""
    revoke_all_sessions(current_user, now=now_utc(), actor=current_user, context={"reason": "self"})
    return _end_browser_session()


@bp.get("/keluar")
def logged_out():
    """The page after logout. It wipes drafts kept in this browser (``lms-`` keys), also when the script on the
    logout button did not run; ``Clear-Site-Data`` does the same where the browser supports it."""
    response = make_response(render_template("auth/logged_out.html"))
    response.headers["Clear-Site-Data"] = '"storage"'
    return response
