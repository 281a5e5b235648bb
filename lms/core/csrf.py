"""The form token the pages print (``csrf_token()`` in templates): Flask-WTF's ``generate_csrf`` with its serializer
and signer built once per secret key instead of on every call.

``generate_csrf`` builds a ``URLSafeTimedSerializer`` the first time a request asks for the token, and its ``dumps``
builds a timestamp signer with its key list, before signing the session's raw token at the current time: the
building was about a third of the token's 172 Python calls. The token made here is that same token, made the same way:
the session's raw token, signed with the same secret and salt at the time of the request. So Flask-WTF's
``validate_csrf`` (``CSRFProtect``) checks it as its own, ``WTF_CSRF_TIME_LIMIT`` counts from the moment the page
was rendered, and it is kept for the request in ``g`` under Flask-WTF's name, where its forms (and a second
``csrf_token()``) find it. Only the serializer and its signer, which hold no per-request state, are reused; the
signer derives its key once and signs with OpenSSL's one-shot HMAC-SHA1 (``lms.core.signing``): the same bytes. A
session without a raw token yet goes through ``generate_csrf`` itself, which makes one.
"""

from __future__ import annotations

from flask import Flask, current_app, g, session
from flask_wtf.csrf import csrf_meta_tag, generate_csrf

from lms.core.signing import KeptSignerSerializer

#: Flask-WTF's salt for its form tokens (``flask_wtf.csrf``), so that its validation reads these.
SALT = "wtf-csrf-token"
_SERIALIZER = "lms.csrf_serializer"


def csrf_token() -> str:
    """The request's signed form token: what ``flask_wtf.csrf.generate_csrf()`` returns, for the same request."""
    app = current_app._get_current_object()
    config = app.config
    field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    token = g.get(field) if field else None
    if token is not None:
        return token
    raw = session.get(field) if field else None
    secret = config.get("WTF_CSRF_SECRET_KEY", app.secret_key)
    if type(raw) is not str or not secret:  # no raw token yet, or a setting Flask-WTF refuses: its own path
        return generate_csrf()
    cached = app.extensions.get(_SERIALIZER)
    if cached is None or cached[0] != secret:
        serializer = KeptSignerSerializer(secret, salt=SALT)
        cached = app.extensions[_SERIALIZER] = (secret, serializer, serializer.make_signer())
    # What ``serializer.dumps(raw)`` does, on a signer made once (``dumps`` makes one per call).
    token = cached[2].sign(cached[1].dump_payload(raw)).decode("utf-8")
    setattr(g, field, token)
    return token


def init_app(app: Flask) -> None:
    """Templates' ``csrf_token`` becomes ``csrf_token``. ``CSRFProtect.init_app``, which must come first, sets
    ``generate_csrf`` both as a Jinja global and through a context processor that returns the same two globals
    (``csrf_token``, ``csrf_meta_tag``) for every render, where a context value hides the global: that processor is
    taken out, so the templates find the globals. Should Flask-WTF's processor ever return anything else, it stays
    (and the page token's test fails)."""
    app.jinja_env.globals["csrf_token"] = csrf_token
    globals_ = {"csrf_token": generate_csrf, "csrf_meta_tag": csrf_meta_tag}
    processors = app.template_context_processors[None]
    processors[:] = [p for p in processors if not (getattr(p, "__module__", None) == "flask_wtf.csrf"
                                                   and p() == globals_)]
