"""Who is calling the JSON API: a bearer token, else the browser session (with CSRF on writes).

Registered on the API blueprint here, by the auth package, so that the API infrastructure (``lms.api``) imports no
domain package.
"""

from __future__ import annotations

from flask import g, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf

from lms.api.blueprint import bp
from lms.auth.services import authenticate_token
from lms.core.errors import DomainError
from lms.core.time import now_utc

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class InvalidToken(DomainError):
    code = "invalid_token"
    status = 401
    message = _l("Token API tidak valid, kedaluwarsa, atau sudah dicabut.")


class CsrfMissing(DomainError):
    code = "csrf_failed"
    status = 403
    message = _l("Token CSRF tidak ada atau tidak valid (kirim header X-CSRFToken).")


@bp.before_request
def authenticate():
    """Set ``g.api_user`` from a bearer token, else from the browser session (with CSRF on writes)."""
    g.api_user = None
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidToken()
        user = authenticate_token(token.strip(), now=now_utc())
        if user is None:
            raise InvalidToken()
        g.api_user = user
        return
    if current_user.is_authenticated:
        if request.method not in SAFE_METHODS:
            try:
                validate_csrf(request.headers.get("X-CSRFToken", ""))
            except CSRFError as exc:
                raise CsrfMissing() from exc
            except Exception as exc:  # noqa: BLE001 - wtforms raises ValidationError for a bad token
                raise CsrfMissing() from exc
        g.api_user = current_user._get_current_object()
