"""Authlib authorization server for the development provider: client, grant, OIDC extension, signing key."""

from __future__ import annotations

import hmac
import json
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, InvalidRequestError, grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, current_app
from joserfc.jwk import RSAKey
from sqlalchemy import exists, select, update

from lms.auth.devidp.accounts import DevAccount, accounts_from_config
from lms.auth.devidp.models import DevIdpCode
from lms.core.boundary import keep_writes_on_refusal
from lms.core.time import now_utc
from lms.extensions import db

CODE_LIFETIME = timedelta(minutes=2)


@dataclass(frozen=True)
class DevClient(ClientMixin):
    client_id: str
    client_secret: str

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return None

    def get_allowed_scope(self, scope):
        allowed = {"openid", "email", "profile"}
        return " ".join(s for s in (scope or "").split() if s in allowed)

    def check_redirect_uri(self, redirect_uri):
        # Development only: any http(s) URL whose path is the app's callback.
        parts = urlsplit(redirect_uri)
        return parts.scheme in ("http", "https") and parts.path == "/auth/callback" and not parts.fragment

    def check_client_secret(self, client_secret):
        return hmac.compare_digest(self.client_secret, client_secret or "")

    def check_endpoint_auth_method(self, method, endpoint):
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


def find_account(sub_or_email: str) -> DevAccount | None:
    for account in accounts_from_config(current_app.config):
        if sub_or_email in (account.sub, account.email):
            return account
    return None


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def save_authorization_code(self, code, request):
        payload = request.payload
        db.session.add(DevIdpCode(
            code=code, client_id=request.client.get_client_id(), redirect_uri=payload.redirect_uri or "",
            scope=request.scope or "", nonce=payload.data.get("nonce"),
            code_challenge=payload.data.get("code_challenge"),
            code_challenge_method=payload.data.get("code_challenge_method"),
            subject=request.user.sub, auth_time=int(time.time()), expires_at=now_utc() + CODE_LIFETIME,
        ))  # committed by the request boundary with the redirect that carries the code

    def query_authorization_code(self, code, client):
        # Consume the code in one conditional UPDATE, so that a replayed or concurrent exchange finds nothing. The
        # code stays consumed even when the exchange then fails (wrong PKCE verifier): a code is tried only once.
        now = now_utc()
        result = db.session.execute(
            update(DevIdpCode)
            .where(DevIdpCode.code == code, DevIdpCode.client_id == client.get_client_id(),
                   DevIdpCode.used_at.is_(None), DevIdpCode.expires_at > now)
            .values(used_at=now)
        )
        keep_writes_on_refusal()
        if result.rowcount != 1:
            return None
        return db.session.get(DevIdpCode, code)

    def delete_authorization_code(self, authorization_code):
        """Already consumed in ``query_authorization_code``."""

    def authenticate_user(self, authorization_code):
        return find_account(authorization_code.subject)


class RequiredS256Challenge(CodeChallenge):
    """PKCE for every client, confidential ones too, and only with S256."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if not data.get("code_challenge") or data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("PKCE with code_challenge_method=S256 is required.")
        return super().validate_code_challenge(grant, redirect_uri)


class DevOpenIDCode(OpenIDCode):
    def exists_nonce(self, nonce, request):
        return bool(db.session.scalar(select(exists().where(
            DevIdpCode.nonce == nonce, DevIdpCode.client_id == request.payload.client_id))))

    def resolve_client_private_key(self, client):
        return signing_key()

    def get_client_algorithm(self, client):
        return "RS256"

    def get_client_claims(self, client):
        return {"iss": current_app.config["DEV_IDP_ISSUER"], "aud": [client.get_client_id()]}

    def get_encode_header(self, client):
        return {"alg": "RS256", "kid": signing_key().kid}

    def generate_user_info(self, user: DevAccount, scope):
        info = UserInfo(sub=user.sub, name=user.name, email=user.email, email_verified=user.email_verified)
        if user.hd:
            info["hd"] = user.hd
        return info


def signing_key() -> RSAKey:
    """The provider's RSA key, made on first use and kept under instance/ across restarts."""
    app = current_app._get_current_object()
    key = app.extensions.get("lms_dev_idp_key")
    if key is None:
        path = Path(app.config["DEV_IDP_KEY_PATH"])
        if path.exists():
            key = RSAKey.import_key(json.loads(path.read_text()))
        else:
            key = RSAKey.generate_key(2048, {"use": "sig", "alg": "RS256"}, private=True)
            key.ensure_kid()
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(key.as_dict(private=True)))
            path.chmod(0o600)
        app.extensions["lms_dev_idp_key"] = key
    return key


def create_server(app: Flask) -> AuthorizationServer:
    client = DevClient(app.config["OIDC_CLIENT_ID"] or "lms-dev", app.config["OIDC_CLIENT_SECRET"])

    def query_client(client_id):
        return client if client_id == client.client_id else None

    def save_token(token, request):
        """Access tokens are not kept: the development provider has no userinfo endpoint."""

    server = AuthorizationServer()
    server.init_app(app, query_client=query_client, save_token=save_token)
    server.register_grant(CodeGrant, [DevOpenIDCode(require_nonce=True), RequiredS256Challenge(required=True)])
    return server
