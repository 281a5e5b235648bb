"""The Flask application class of lms."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SecureCookieSessionInterface

from lms.core.signing import KeptSignerSerializer

#: More distinct callables than any app registers: past it, new ones are checked on every call, as Flask does.
_KNOWN_LIMIT = 10_000


class SessionJSON(TaggedJSONSerializer):
    """Flask's tagged JSON for the session, loading a flat object (no nested object or array: the usual session,
    ids and tokens) without Flask's recursive scan for tags, which would find none: only a one-key object can be a
    tag, and a nested value would have to be an object or an array to hold one. Anything else is scanned as Flask
    does.

    The text is parsed by ``json.loads`` (what Flask's default provider calls), not by the app's provider, whose
    checks are for what clients send (``lms.core.input``): this text is only read after its signature has been
    checked, so the app wrote it."""

    def loads(self, value: str):
        data = json.loads(value)
        if type(data) is not dict or len(data) == 1:
            return self._untag_scan(data)
        for item in data.values():
            if type(item) is dict or type(item) is list:
                return self._untag_scan(data)
        return data


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer built once per app and key rather than twice
    per request (opening and saving the session); a changed ``SECRET_KEY`` or fallback list builds a new one. The
    serializer makes its signer once and derives its keys once (``lms.core.signing``): the same HMAC-SHA1 with the
    same key derivation and salt as Flask's, so cookies signed by either are read by the other."""

    serializer = SessionJSON()

    def get_signing_serializer(self, app: Flask) -> KeptSignerSerializer | None:
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        cached = app.extensions.get("lms.session_serializer")
        if cached is None or cached[0] != keys:
            cached = app.extensions["lms.session_serializer"] = (keys, self._serializer(app))
        return cached[1]

    def _serializer(self, app: Flask) -> KeptSignerSerializer | None:
        """What ``SecureCookieSessionInterface.get_signing_serializer`` builds, as a ``KeptSignerSerializer``."""
        if not app.secret_key:
            return None
        keys = [*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key]  # the current key last
        return KeptSignerSerializer(keys, salt=self.salt, serializer=self.serializer,
                                    signer_kwargs={"key_derivation": self.key_derivation,
                                                   "digest_method": self.digest_method})

    def save_session(self, app: Flask, session, response) -> None:
        if not session and not session.modified and not session.accessed:
            return  # what Flask concludes too (no cookie to set or delete, no Vary), before reading seven settings
        if session and not self.should_set_cookie(app, session):
            # A session read and left as it was (a page view): Flask adds ``Vary: Cookie`` and sets no cookie,
            # after reading seven cookie settings it then does not use.
            if session.accessed:
                response.vary.add("Cookie")
            return
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
