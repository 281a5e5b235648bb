"""Flask-Login glue: a session cookie loads its user only while its server-side session is live."""

from __future__ import annotations

from flask import session

from lms.auth.models import User
from lms.auth.sessions import SESSION_KEY, session_user


def load_user(user_id: str) -> User | None:
    try:
        uid = int(user_id)
    except ValueError:
        return None
    return session_user(uid, session.get(SESSION_KEY))
