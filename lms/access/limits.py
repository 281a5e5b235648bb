"""Rate limits of Cek NIK: per account and per address, shared by the page and the API."""

from __future__ import annotations

from flask import current_app, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user
from sqlalchemy import select

from lms.auth.models import ApiToken
from lms.auth.services import hash_token
from lms.extensions import db, limiter


def account_key() -> str:
    """The account asking, whether by session or by any of its API tokens (checked before the API authenticates,
    so the token is resolved to its account here)."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        hashed = hash_token(header[7:].strip())
        user_id = db.session.scalar(select(ApiToken.user_id).where(ApiToken.token_hash == hashed))
        return f"user:{user_id}" if user_id is not None else "token:" + hashed
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return "ip:" + get_remote_address()


def _message() -> str:
    return _("Anda terlalu sering melakukan Cek NIK. Demi keamanan data pribadi, coba lagi nanti.")


per_account = limiter.shared_limit(lambda: current_app.config["NIK_CHECK_LIMIT_ACCOUNT"], scope="nik-check-account",
                                   key_func=account_key, methods=["POST"], error_message=_message)
per_address = limiter.shared_limit(lambda: current_app.config["NIK_CHECK_LIMIT_ADDRESS"], scope="nik-check-address",
                                   key_func=get_remote_address, methods=["POST"], error_message=_message)
