"""Rate limits of Cek NIK: per account and per address, shared by the page and the API.

Only a signed-in asker spends either budget: an anonymous request is exempt from both limits and is then refused
with 401 by the view, so that unauthenticated traffic from an address (a school's shared NAT, say) cannot use up
the address budget of the teachers signed in behind it.
"""

from __future__ import annotations

from flask import current_app, g, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user
from sqlalchemy import select

from lms.auth.models import ApiToken, User
from lms.auth.services import TOKEN_PREFIX, hash_token
from lms.core.time import now_utc
from lms.extensions import db, limiter


def asker_id() -> int | None:
    """The account asking, by bearer token (any live token of the account) or by session; None when anonymous.

    Resolved here because the limiter runs before the API authenticates. Read only (the API records token use)."""
    if "nik_check_asker" in g:
        return g.nik_check_asker
    user_id = None
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme:
        if scheme.lower() == "bearer" and token.startswith(TOKEN_PREFIX):
            row = db.session.execute(select(ApiToken.user_id, ApiToken.revoked_at, ApiToken.expires_at, User.active)
                                     .join(User, User.id == ApiToken.user_id)
                                     .where(ApiToken.token_hash == hash_token(token))).first()
            if row is not None and row.revoked_at is None and row.expires_at > now_utc() and row.active:
                user_id = row.user_id
    elif current_user.is_authenticated:
        user_id = current_user.id
    g.nik_check_asker = user_id
    return user_id


def anonymous() -> bool:
    return asker_id() is None


def account_key() -> str:
    return f"user:{asker_id()}"


def _message() -> str:
    return _("Anda terlalu sering melakukan Cek NIK. Demi keamanan data pribadi, coba lagi nanti.")


per_account = limiter.shared_limit(lambda: current_app.config["NIK_CHECK_LIMIT_ACCOUNT"], scope="nik-check-account",
                                   key_func=account_key, methods=["POST"], error_message=_message,
                                   exempt_when=anonymous)
per_address = limiter.shared_limit(lambda: current_app.config["NIK_CHECK_LIMIT_ADDRESS"], scope="nik-check-address",
                                   key_func=get_remote_address, methods=["POST"], error_message=_message,
                                   exempt_when=anonymous)
