"""Account administration over the API (superadmin): list accounts, grant and revoke roles."""

from __future__ import annotations

from flask import current_app, g, jsonify, request
from sqlalchemy import select

from lms.api.auth import api_role_required
from lms.api.blueprint import bp
from lms.api.openapi import document, json_schema
from lms.auth import services
from lms.auth.models import User, UserRole
from lms.core.access import ROLES
from lms.core.errors import Invalid
from lms.core.time import now_utc
from lms.extensions import db

_ERR = {"401": {"$ref": "#/components/responses/Unauthenticated"}, "403": {"$ref": "#/components/responses/Forbidden"}}
_EMAIL = {"name": "email", "in": "path", "required": True, "schema": {"type": "string"}}
_ROLE = {"name": "role", "in": "path", "required": True, "schema": {"type": "string", "enum": list(ROLES)}}

document("/users", "get", summary="Accounts holding a role (superadmin)", tag="akun",
         parameters=[{"name": "role", "in": "query", "schema": {"type": "string", "enum": list(ROLES)}}],
         responses={"200": {"description": "Accounts"}, **_ERR})
document("/users/{email}/roles/{role}", "put", summary="Grant a role (superadmin)", tag="akun",
         parameters=[_EMAIL, _ROLE],
         responses={"200": {"description": "The account", "content": json_schema("Me")},
                    "422": {"description": "Unknown role or e-mail outside the allowed domains"}, **_ERR})
document("/users/{email}/roles/{role}", "delete", summary="Revoke a role (superadmin)", tag="akun",
         parameters=[_EMAIL, _ROLE], responses={"200": {"description": "The account"}, **_ERR})


def _account(user: User) -> dict:
    return {"id": user.id, "email": user.email, "name": user.name, "roles": user.roles,
            "linked": user.last_login_at is not None}


@bp.get("/users")
@api_role_required("superadmin")
def list_users():
    role = request.args.get("role")
    query = select(User).order_by(User.email).limit(1000)
    if role:
        if role not in ROLES:
            raise Invalid(details={"role": f"one of {', '.join(ROLES)}"})
        query = query.join(UserRole, UserRole.user_id == User.id).where(UserRole.role == role)
    return jsonify({"users": [_account(u) for u in db.session.scalars(query).unique()]})


@bp.put("/users/<email>/roles/<role>")
@api_role_required("superadmin")
def grant_role(email: str, role: str):
    now = now_utc()
    user = services.get_or_create_account(email, now=now, allowed_domains=current_app.config["ALLOWED_EMAIL_DOMAINS"])
    services.grant_role(user, role, now=now, actor_id=g.api_user.id)
    db.session.commit()
    return jsonify(_account(user))


@bp.delete("/users/<email>/roles/<role>")
@api_role_required("superadmin")
def revoke_role(email: str, role: str):
    user = services.find_user(email)
    services.revoke_role(user, role, now=now_utc(), actor_id=g.api_user.id)
    db.session.commit()
    return jsonify(_account(user))
