"""The Flask application class of lms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

#: More distinct callables than any app registers: past it, new ones are checked on every call, as Flask does.
_KNOWN_LIMIT = 10_000


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer built once per app and key rather than twice
    per request (opening and saving the session); a changed ``SECRET_KEY`` or fallback list builds a new one."""

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        cached = app.extensions.get("lms.session_serializer")
        if cached is None or cached[0] != keys:
            cached = app.extensions["lms.session_serializer"] = (keys, super().get_signing_serializer(app))
        return cached[1]

    def save_session(self, app: Flask, session, response) -> None:
        if not session and not session.modified and not session.accessed:
            return  # what Flask concludes too (no cookie to set or delete, no Vary), before reading seven settings
        super().save_session(app, session, response)


class App(Flask):
    """Flask, with the "is this a coroutine function?" check of each view, hook and error handler made once per
    callable rather than on every call (Flask asks ``inspect.iscoroutinefunction`` for each of them on every
    request: about twenty times per API call), and the session cookie's serializer built once (``CookieSessions``)."""

    session_interface = CookieSessions()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._known_sync: set[Callable] = set()

    def ensure_sync(self, func: Callable) -> Callable:
        known = self._known_sync
        try:
            if func in known:
                return func
        except TypeError:  # an unhashable callable: Flask's own check
            return super().ensure_sync(func)
        checked = super().ensure_sync(func)
        if checked is func and len(known) < _KNOWN_LIMIT:
            known.add(func)
        return checked
