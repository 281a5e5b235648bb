"""Who is asking, in one Core statement per request: a bearer token's user, or a browser session's user.

These run on every authenticated request. The rows come as a Core statement on the session's connection and are
adopted as persistent ORM instances (``lms.core.rows``): the callers get the same ``User`` (with its roles) and
``ApiToken`` as an ORM load would give them, for a fraction of the CPU (no ORM compile or row processors).
"""

from __future__ import annotations

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm.attributes import set_committed_value

from lms.auth.models import ApiToken, User, UserRole, UserSession
from lms.core.prepared import Prepared
from lms.core.rows import RowShape, adopt
from lms.extensions import db

_TOKEN_SHAPE = RowShape(ApiToken, User)
_USER_SHAPE = RowShape(User)

#: The token, its user, and one row per role of the user (none: one row with a null role); built once.
_TOKEN_USER = Prepared(select(*_TOKEN_SHAPE.columns(), UserRole.role)
                       .join(User, User.id == ApiToken.user_id)
                       .outerjoin(UserRole, UserRole.user_id == User.id)
                       .where(ApiToken.token_hash == bindparam("token_hash")))

#: The active user of a live browser session, with one row per role; built once.
_SESSION_USER = Prepared(select(*_USER_SHAPE.columns(), UserRole.role)
                         .join(UserSession, and_(UserSession.user_id == User.id,
                                                 UserSession.id == bindparam("session_id"),
                                                 UserSession.revoked_at.is_(None)))
                         .outerjoin(UserRole, UserRole.user_id == User.id)
                         .where(User.id == bindparam("user_id"), User.active.is_(True)))


def _with_roles(session, user: User, rows, column: int) -> User:
    if "role_rows" not in user.__dict__:  # an instance already in the session keeps what it has
        set_committed_value(user, "role_rows", [adopt(session, UserRole, user_id=user.id, role=row[column])
                                                for row in rows if row[column] is not None])
    return user


def token_with_user(token_hash: str) -> ApiToken | None:
    """The token of this hash with ``token.user`` and the user's roles loaded, or None (one statement)."""
    session = db.session()
    rows = _TOKEN_USER.rows(session, {"token_hash": token_hash})
    if not rows:
        return None
    token, user = _TOKEN_SHAPE.adopt(session, rows[0])
    _with_roles(session, user, rows, _TOKEN_SHAPE.width)
    if "user" not in token.__dict__:
        set_committed_value(token, "user", user)
    return token


def live_session_user(user_id: int, session_hash: str) -> User | None:
    """The active user of the live session of this hash, with its roles loaded, or None (one statement)."""
    session = db.session()
    rows = _SESSION_USER.rows(session, {"user_id": user_id, "session_id": session_hash})
    if not rows:
        return None
    (user,) = _USER_SHAPE.adopt(session, rows[0])
    return _with_roles(session, user, rows, _USER_SHAPE.width)
