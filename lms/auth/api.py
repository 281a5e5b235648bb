"""Account administration over the API (superadmin): list accounts, grant and revoke roles."""

from __future__ import annotations

from flask import current_app, g
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from lms.api.auth import api_role_required
from lms.api.blueprint import bp
from lms.api.schemas import errors
from lms.auth import services
from lms.auth.models import User, UserRole
from lms.core.access import ROLES
from lms.core.time import now_utc
from lms.extensions import db


class Account(Schema):
    id = fields.Integer(required=True)
    email = fields.String(required=True)
    name = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    linked = fields.Boolean(required=True, metadata={"description": "Whether the person has logged in once"})


class AccountList(Schema):
    users = fields.List(fields.Nested(Account), required=True)


class UsersQuery(Schema):
    role = fields.String(validate=validate.OneOf(ROLES))


class RolePath(Schema):
    email = fields.String(required=True, validate=validate.Length(min=3, max=320))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


def _account(user: User) -> dict:
    return {"id": user.id, "email": user.email, "name": user.name, "roles": user.roles,
            "linked": user.last_login_at is not None}


@bp.get("/users")
@bp.doc(tags=["akun"], summary="Accounts holding a role, or all (superadmin; at most 1000)")
@api_role_required("superadmin")
@bp.arguments(UsersQuery, location="query", as_kwargs=True)
@bp.response(200, AccountList)
@errors(bp, 401, 403)
def list_users(role: str | None = None):
    query = select(User).order_by(User.email).limit(1000)
    if role:
        query = query.join(UserRole, UserRole.user_id == User.id).where(UserRole.role == role)
    return {"users": [_account(u) for u in db.session.scalars(query).unique()]}


@bp.put("/users/<email>/roles/<role>")
@bp.doc(tags=["akun"], summary="Grant a role (superadmin); creates the account if needed")
@api_role_required("superadmin")
@bp.arguments(RolePath, location="path", as_kwargs=True)
@bp.response(200, Account)
@errors(bp, 401, 403)
def grant_role(email: str, role: str):
    now = now_utc()
    user = services.get_or_create_account(email, now=now, allowed_domains=current_app.config["ALLOWED_EMAIL_DOMAINS"])
    services.grant_role(user, role, now=now, actor_id=g.api_user.id)
    return _account(user)


@bp.delete("/users/<email>/roles/<role>")
@bp.doc(tags=["akun"], summary="Revoke a role (superadmin)")
@api_role_required("superadmin")
@bp.arguments(RolePath, location="path", as_kwargs=True)
@bp.response(200, Account)
@errors(bp, 401, 403, 404)
def revoke_role(email: str, role: str):
    user = services.find_user(email)
    services.revoke_role(user, role, now=now_utc(), actor_id=g.api_user.id)
    return _account(user)
