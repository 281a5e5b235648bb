"""Flask-Login glue: a session cookie loads its user only while its server-side session is live."""

from __future__ import annotations

from hashlib import sha512

from flask import request, session

from lms.auth.models import User
from lms.auth.sessions import SESSION_KEY, session_user


def session_identifier() -> str:
    """Flask-Login's session identifier (``flask_login.utils._create_identifier``, which its session protection
    compares with the one stored at login on every request): the SHA-512 of the client's address (the first of
    ``X-Forwarded-For``, else ``REMOTE_ADDR``) and its User-Agent, read from the WSGI environ, where
    ``request.headers`` and ``request.remote_addr`` read them, without building header objects. The same text."""
    environ = request.environ
    address = environ.get("HTTP_X_FORWARDED_FOR", environ.get("REMOTE_ADDR"))
    if address is not None:
        address = address.encode("utf-8").split(b",")[0].strip()
    agent = environ.get("HTTP_USER_AGENT")
    if agent is not None:
        agent = agent.encode("utf-8")
    return sha512(f"{address}|{agent}".encode()).hexdigest()


def load_user(user_id: str) -> User | None:
    try:
        uid = int(user_id)
    except ValueError:
        return None
    return session_user(uid, session.get(SESSION_KEY))
