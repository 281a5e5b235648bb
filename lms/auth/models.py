"""Accounts, their identities at the OIDC provider, roles and personal API tokens."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.access import ROLES
from lms.core.db import UTCDateTime
from lms.extensions import db

_ROLE_LIST = ", ".join(f"'{r}'" for r in ROLES)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lowercase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Always lower-case. Unique, but never used alone to match a returning login (see Identity).
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Null until the person first logs in through the provider (accounts made by a grant or a token).
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(default=True)

    identities: Mapped[list[Identity]] = relationship(back_populates="user", cascade="all, delete-orphan")
    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="joined",
                                                  foreign_keys="UserRole.user_id")

    @property
    def roles(self) -> list[str]:
        return sorted(r.role for r in self.role_rows)

    def has_any_role(self, *roles: str) -> bool:
        mine = {r.role for r in self.role_rows}
        return "superadmin" in mine or bool(mine & set(roles))

    @property
    def is_active(self) -> bool:
        return self.active


class Identity(db.Model):
    """A login at one provider: (issuer, subject) is what identifies a returning user."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("issuer", "subject", name="issuer_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issuer: Mapped[str] = mapped_column(String(300))
    #: The provider's ``sub`` claim: stable for the account, unlike its e-mail.
    subject: Mapped[str] = mapped_column(String(255))
    #: The e-mail the provider last reported for this identity.
    email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="identities")


class UserRole(db.Model):
    __tablename__ = "user_roles"
    __table_args__ = (CheckConstraint(f"role IN ({_ROLE_LIST})", name="known_role"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Null when granted from the command line.
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ApiToken(db.Model):
    """A personal bearer token. Only its SHA-256 is stored; the token itself is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: hex SHA-256 of the whole token.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The first characters of the token, to tell tokens apart in listings.
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class UserSession(db.Model):
    """A browser login. The Flask session holds a random secret; only its SHA-256 is stored here.

    Loading the user from a cookie requires a live row (see ``lms.auth.login``), so logging out, or
    revoking every session of an account, ends a copied cookie too.
    """

    __tablename__ = "user_sessions"

    #: hex SHA-256 of the secret kept in the signed session cookie.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Set at logout, at "log out of every device", or by the helpdesk; the row is never reused.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class FormStash(db.Model):
    """What was typed into a refused form, for one browser login (see ``lms.auth.stash``)."""

    __tablename__ = "form_stashes"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: The browser login (``user_sessions.id``); its stashes go with it.
    session_id: Mapped[str] = mapped_column(ForeignKey("user_sessions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: Which form, e.g. ``journal:<enrollment>:<module>``.
    scope: Mapped[str] = mapped_column(String(100))
    data: Mapped[dict] = mapped_column(JSON)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
