"""What a person typed into a form that was refused, kept on the server across a POST-redirect-GET.

A refused form (a version conflict, an answer too long) redirects to its page like every other outcome, so that a
reload never re-sends it; the typed text is too large for the cookie, so it waits here until the page shows it.

A stash belongs to one browser login: its row names the login (the hash of the secret in the signed session cookie,
``user_sessions.id``) and a random token that only that cookie carries (``session[STASH_KEY]``). Another account on
the same computer has another login and another cookie, so it can never read it; logging out deletes the login's
stashes, logging out everywhere deletes the account's (both in ``lms.auth.sessions``). A stash is replaced by the
next refusal of the same form, deleted when the form is saved, and expires after ``STASH_LIFETIME`` (expired rows
are deleted by the next stash written, and by the hourly task ``auth.purge_form_stashes``). Pages look a stash up
only when the cookie says there is one, so the usual paths send no extra statement.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import redirect, session
from flask_login import current_user
from sqlalchemy import delete, select

from lms.auth.models import FormStash
from lms.auth.sessions import SESSION_KEY, session_row_id
from lms.core.boundary import discard_writes
from lms.extensions import db

#: Key in the Flask session: {scope: token} of the stashes this browser login holds.
STASH_KEY = "lms_stash"
STASH_LIFETIME = timedelta(days=2)


def _login() -> str | None:
    secret = session.get(SESSION_KEY)
    return session_row_id(secret) if secret else None


def put(scope: str, user_id: int, data: dict, *, now: datetime) -> None:
    """Keep ``data`` for this browser login's next view of the form ``scope`` (replacing an earlier stash)."""
    login = _login()
    if login is None:
        return
    tokens = dict(session.get(STASH_KEY) or {})
    old = tokens.get(scope)
    db.session.execute(delete(FormStash).where(
        (FormStash.expires_at <= now) | ((FormStash.token == old) & (FormStash.session_id == login))),
        execution_options={"synchronize_session": False})
    token = secrets.token_urlsafe(24)
    db.session.add(FormStash(token=token, session_id=login, user_id=user_id, scope=scope, data=data,
                             expires_at=now + STASH_LIFETIME))
    tokens[scope] = token
    session[STASH_KEY] = tokens


def get(scope: str, *, now: datetime) -> dict | None:
    """This browser login's stash of the form ``scope``, or None (no statement at all when the cookie names none)."""
    token = (session.get(STASH_KEY) or {}).get(scope)
    login = _login()
    if not token or login is None:
        return None
    return db.session.scalar(select(FormStash.data).where(
        FormStash.token == token, FormStash.session_id == login, FormStash.scope == scope,
        FormStash.expires_at > now))


def drop(scope: str) -> None:
    """The form was saved (or the stash given up): delete its stash, if the cookie names one."""
    tokens = dict(session.get(STASH_KEY) or {})
    token = tokens.pop(scope, None)
    login = _login()
    if token is None:
        return
    session[STASH_KEY] = tokens
    if login is not None:
        db.session.execute(delete(FormStash).where(FormStash.token == token, FormStash.session_id == login),
                           execution_options={"synchronize_session": False})


def purge(now: datetime) -> int:
    """Delete expired stashes; returns how many."""
    result = db.session.execute(delete(FormStash).where(FormStash.expires_at <= now),
                                execution_options={"synchronize_session": False})
    return result.rowcount


def refuse(scope: str, data: dict, to: str, *, now: datetime):
    """The refusal of a form post, as a redirect (POST-redirect-GET) to ``to``, whose page shows ``data`` (what was
    typed, the reasons) from ``get(scope)`` until the form is sent successfully.

    A refusal changes nothing, as a 4xx answer would: whatever the request wrote before it is rolled back, and only
    the stash is written (the redirect commits it)."""
    user_id = current_user.id
    discard_writes()
    put(scope, user_id, data, now=now)
    return redirect(to, 303)
