"""Endpoints of the development provider: discovery, JWKS, the account chooser, and the token endpoint."""

from __future__ import annotations

from authlib.oauth2 import OAuth2Error
from flask import Blueprint, current_app, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer

from lms.auth.devidp.accounts import accounts_from_config
from lms.auth.devidp.server import find_account, signing_key
from lms.extensions import csrf

bp = Blueprint("devidp", __name__, url_prefix="/dev-idp")

#: The provider's own "signed in" memory, separate from the app's session so that logging out of the
#: app does not log out of the provider (as with a real one).
REMEMBER_COOKIE = "lms_devidp"


def _server():
    return current_app.extensions["lms_dev_idp_server"]


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="lms-dev-idp-remember")


def _remembered():
    raw = request.cookies.get(REMEMBER_COOKIE)
    if not raw:
        return None
    try:
        return find_account(_serializer().loads(raw))
    except BadSignature:
        return None


@bp.get("/.well-known/openid-configuration")
def discovery():
    issuer = current_app.config["DEV_IDP_ISSUER"]
    return jsonify({
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "jwks_uri": f"{issuer}/jwks",
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["sub", "email", "email_verified", "name", "hd"],
        "prompt_values_supported": ["none", "login", "select_account"],
    })


@bp.get("/jwks")
def jwks():
    return jsonify({"keys": [signing_key().as_dict(private=False)]})


@bp.route("/authorize", methods=["GET", "POST"])
def authorize():
    server = _server()
    chosen = request.method == "POST"
    account = find_account(request.form.get("account", "")) if chosen else _remembered()
    if chosen and account is None:
        return _chooser(error=_("Akun tidak dikenal")), 400
    try:
        grant = server.get_consent_grant(end_user=account)
    except OAuth2Error as error:
        return server.handle_error_response(request, error)
    if chosen:
        response = server.create_authorization_response(grant=grant, grant_user=account)
        response.set_cookie(REMEMBER_COOKIE, _serializer().dumps(account.sub), httponly=True, samesite="Lax")
        return response
    prompts = set((request.args.get("prompt") or "").split())
    if account is not None and not prompts & {"select_account", "login", "consent"}:
        # Signed in at the provider already and no prompt asked for: answer at once, as a real one does.
        return server.create_authorization_response(grant=grant, grant_user=account)
    return _chooser(client_id=grant.client.get_client_id())


def _chooser(error: str | None = None, client_id: str | None = None):
    accounts = accounts_from_config(current_app.config)
    return make_response(render_template("devidp/login.html", accounts=accounts, error=error, client_id=client_id,
                                         query=request.query_string.decode()))


@bp.post("/token")
@csrf.exempt
def token():
    return _server().create_token_response()
