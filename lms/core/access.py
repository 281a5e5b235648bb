"""Roles and the access decorators that views and API endpoints use."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask_login import current_user

from lms.core.errors import Forbidden, Unauthenticated

ROLES = ("guru", "admin_angkatan", "helpdesk", "dinas", "lpmp", "superadmin")


def login_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            raise Unauthenticated()
        return view(*args, **kwargs)

    return wrapper


def role_required(*roles: str) -> Callable:
    """Allow users holding any of ``roles``; a superadmin passes every role check."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                raise Unauthenticated()
            if not current_user.has_any_role(*roles):
                raise Forbidden()
            return view(*args, **kwargs)

        return wrapper

    return decorator
