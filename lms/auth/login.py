"""Flask-Login glue."""

from __future__ import annotations

from lms.auth.models import User
from lms.extensions import db


def load_user(user_id: str) -> User | None:
    try:
        user = db.session.get(User, int(user_id))
    except ValueError:
        return None
    return user if user is not None and user.active else None
