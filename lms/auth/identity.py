"""Who is asking, in one Core statement per request: a bearer token's user, or a browser session's user.

These run on every authenticated request. The rows come as a Core statement on the session's connection and are
adopted as persistent ORM instances (``lms.core.rows``): the callers get the same ``User`` (with its roles) and
``ApiToken`` as an ORM load would give them, for a fraction of the CPU (no ORM compile or row processors).

A package above this one may have both statements select more of the user at once (``include``): the participant's
current enrollment comes with who is asking, so that the request does not send a statement of its own for it. This
package only selects what it is given and hands the values back; it knows nothing of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, Protocol

from flask import Flask, current_app
from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from lms.auth.models import ApiToken, User, UserRole, UserSession
from lms.core.prepared import Prepared
from lms.core.rows import RowShape, adopt
from lms.extensions import db

_TOKEN_SHAPE = RowShape(ApiToken, User)
_USER_SHAPE = RowShape(User)
_INCLUDED = "lms_identity_included"


class Included(Protocol):
    """More of the user, selected with who is asking (at most one row per user: the rows stay one per role)."""

    def columns(self) -> list:
        """The labelled columns to select (after the identity's own)."""

    def join(self, statement, user_id):
        """``statement`` with the outer joins the columns need, from the user's id column ``user_id``."""

    def keep(self, session: Session, user_id: int, values: Sequence[Any]) -> None:
        """The values of those columns for the user ``user_id`` (the first row's: every row has the same)."""


def include(app: Flask, part: Included) -> None:
    """Have the identity statements of ``app`` also select ``part`` (built on their first use after this)."""
    app.extensions[_INCLUDED] = part


@cache
def _statements(part: Included | None) -> tuple[Prepared, Prepared]:
    """The token, its user, and one row per role of the user (none: one row with a null role); and the active user
    of a live browser session, with one row per role. Each with ``part``'s columns last. Built once."""
    more = part.columns() if part is not None else []
    token = (select(*_TOKEN_SHAPE.columns(), UserRole.role, *more)
             .join(User, User.id == ApiToken.user_id)
             .outerjoin(UserRole, UserRole.user_id == User.id))
    session = (select(*_USER_SHAPE.columns(), UserRole.role, *more)
               .join(UserSession, and_(UserSession.user_id == User.id,
                                       UserSession.id == bindparam("session_id"),
                                       UserSession.revoked_at.is_(None)))
               .outerjoin(UserRole, UserRole.user_id == User.id))
    if part is not None:
        token, session = part.join(token, User.id), part.join(session, User.id)
    return (Prepared(token.where(ApiToken.token_hash == bindparam("token_hash"))),
            Prepared(session.where(User.id == bindparam("user_id"), User.active.is_(True))))


def _with_roles(session, user: User, rows, column: int) -> User:
    if "role_rows" not in user.__dict__:  # an instance already in the session keeps what it has
        set_committed_value(user, "role_rows", [adopt(session, UserRole, user_id=user.id, role=row[column])
                                                for row in rows if row[column] is not None])
    return user


def token_with_user(token_hash: str) -> ApiToken | None:
    """The token of this hash with ``token.user`` and the user's roles loaded, or None (one statement)."""
    session = db.session()
    part = current_app.extensions.get(_INCLUDED)
    rows = _statements(part)[0].rows(session, {"token_hash": token_hash})
    if not rows:
        return None
    token, user = _TOKEN_SHAPE.adopt(session, rows[0])
    _with_roles(session, user, rows, _TOKEN_SHAPE.width)
    if "user" not in token.__dict__:
        set_committed_value(token, "user", user)
    if part is not None:
        part.keep(session, user.id, rows[0][_TOKEN_SHAPE.width + 1:])
    return token


def live_session_user(user_id: int, session_hash: str) -> User | None:
    """The active user of the live session of this hash, with its roles loaded, or None (one statement)."""
    session = db.session()
    part = current_app.extensions.get(_INCLUDED)
    rows = _statements(part)[1].rows(session, {"user_id": user_id, "session_id": session_hash})
    if not rows:
        return None
    (user,) = _USER_SHAPE.adopt(session, rows[0])
    if part is not None:
        part.keep(session, user.id, rows[0][_USER_SHAPE.width + 1:])
    return _with_roles(session, user, rows, _USER_SHAPE.width)
