"""Decorators for API endpoints: who is asking, and may they."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import g

from lms.core.errors import Forbidden, Unauthenticated


def api_login_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.get("api_user") is None:
            raise Unauthenticated()
        return view(*args, **kwargs)

    return wrapper


def api_role_required(*roles: str) -> Callable:
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            user = g.get("api_user")
            if user is None:
                raise Unauthenticated()
            if not user.has_any_role(*roles):
                raise Forbidden()
            return view(*args, **kwargs)

        return wrapper

    return decorator
