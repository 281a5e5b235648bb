"""Server-side records of browser logins: a cookie is only as good as its live row."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy import delete, update

from lms.auth.identity import live_session_user
from lms.auth.models import FormStash, User, UserSession
from lms.core import audit
from lms.extensions import db

#: Key in the (signed) Flask session that holds the session secret.
SESSION_KEY = "lms_sid"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def session_row_id(secret: str) -> str:
    """The id of the ``user_sessions`` row of a session secret."""
    return _hash(secret)


def start_session(user: User, *, now: datetime) -> str:
    """Record a new login of ``user``; returns the secret to keep in the Flask session."""
    secret = secrets.token_urlsafe(32)
    db.session.add(UserSession(id=_hash(secret), user_id=user.id, created_at=now))
    db.session.flush()
    return secret


def session_user(user_id: int, secret: str | None) -> User | None:
    """The active user of a live session, in one statement (the user, its roles, and the session row)."""
    if not secret:
        return None
    return live_session_user(user_id, _hash(secret))


def end_session(secret: str | None, *, now: datetime) -> bool:
    """Revoke one session (logout). False when it was unknown or already revoked."""
    if not secret:
        return False
    db.session.execute(delete(FormStash).where(FormStash.session_id == _hash(secret)),  # what it kept (stash)
                       execution_options={"synchronize_session": False})
    result = db.session.execute(update(UserSession)
                                .where(UserSession.id == _hash(secret), UserSession.revoked_at.is_(None))
                                .values(revoked_at=now), execution_options={"synchronize_session": False})
    return result.rowcount == 1


def revoke_all_sessions(user: User, *, now: datetime, actor: User | None = None, context: dict | None = None) -> int:
    """Revoke every live browser session of ``user`` (API tokens are separate); returns how many ended."""
    result = db.session.execute(update(UserSession)
                                .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
                                .values(revoked_at=now), execution_options={"synchronize_session": False})
    db.session.execute(delete(FormStash).where(FormStash.user_id == user.id),  # what they kept (lms.auth.stash)
                       execution_options={"synchronize_session": False})
    audit.record("auth.revoke_sessions", "user", user.id, actor_id=actor.id if actor else None, now=now,
                 data={"sessions": result.rowcount, **(context or {})})
    db.session.flush()
    return result.rowcount


def browser_storage_key(user_id: int, secret_key: str) -> str:
    """A per-account prefix for data a page keeps in the browser: stable, but neither the id nor the e-mail."""
    return hmac.digest(secret_key.encode(), f"browser-storage:{user_id}".encode(), "sha256").hex()[:20]
