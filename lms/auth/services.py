"""Account rules: who may log in, how a login finds its account, roles and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from lms.auth.domains import domain_allowed, email_allowed, email_domain
from lms.auth.identity import token_with_user
from lms.auth.models import ApiToken, Identity, User, UserRole
from lms.core import audit
from lms.core.access import ROLES
from lms.core.boundary import bookkeeping
from lms.core.errors import DomainError, Invalid, NotFound
from lms.extensions import db

TOKEN_PREFIX = "lms_"  # noqa: S105 - a public marker, not a secret


class LoginRefused(DomainError):
    """The provider vouched for someone who may not enter. ``reason`` picks the page's explanation."""

    code = "login_refused"
    status = 403
    message = _l("Gunakan akun belajar.id Anda untuk masuk.")

    def __init__(self, reason: str, message=None):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Claims:
    issuer: str
    subject: str
    email: str
    email_verified: bool
    name: str
    hosted_domain: str | None


def claims_from_id_token(issuer: str, userinfo: Mapping) -> Claims:
    return Claims(
        issuer=issuer,
        subject=str(userinfo.get("sub") or ""),
        email=str(userinfo.get("email") or "").strip().lower(),
        email_verified=userinfo.get("email_verified") in (True, "true"),
        name=str(userinfo.get("name") or "").strip(),
        hosted_domain=userinfo.get("hd"),
    )


def check_admissible(claims: Claims, allowed_domains: Iterable[str], *, require_hd: bool = True) -> None:
    """Raise ``LoginRefused`` unless the claims describe a verified account of an allowed domain."""
    allowed = tuple(allowed_domains)
    if not claims.subject or not claims.email or email_domain(claims.email) is None:
        raise LoginRefused("incomplete", _l("Penyedia akun tidak mengirim data akun yang lengkap."))
    if not email_allowed(claims.email, allowed):
        raise LoginRefused("domain")
    if require_hd and not domain_allowed(claims.hosted_domain, allowed):
        raise LoginRefused("domain")
    if not claims.email_verified:
        raise LoginRefused("unverified", _l("Alamat e-mail akun ini belum terverifikasi."))


def login_from_claims(claims: Claims, *, now: datetime) -> User:
    """Find or create the account for a verified login. Returning users are matched on (issuer, sub).

    An account that exists without any identity (made by a role grant, a roster or ``lms tokens create``)
    is linked on its owner's first login. An e-mail already held by another identity is refused: the
    provider says this is a different account, and e-mail alone never decides who someone is.
    """
    identity = db.session.scalar(
        select(Identity).where(Identity.issuer == claims.issuer, Identity.subject == claims.subject)
    )
    if identity is not None:
        user = identity.user
        if claims.email != user.email:
            _change_email(user, claims.email, now=now)
        identity.email = claims.email
    else:
        user = db.session.scalar(select(User).where(User.email == claims.email))
        if user is None:
            user = User(email=claims.email, name=claims.name, created_at=now)
            db.session.add(user)
        elif user.identities:
            raise LoginRefused("conflict", _l(
                "Alamat e-mail ini sudah terhubung dengan akun lain. Hubungi Pusat Bantuan."))
        identity = Identity(user=user, issuer=claims.issuer, subject=claims.subject, email=claims.email,
                            created_at=now, last_login_at=now)
        db.session.add(identity)
        db.session.flush()
        audit.record("auth.link_identity", "user", user.id, actor_id=user.id, now=now,
                     data={"issuer": claims.issuer})
    if not user.active:
        raise LoginRefused("inactive", _l("Akun ini dinonaktifkan. Hubungi Pusat Bantuan."))
    if claims.name:
        user.name = claims.name
    identity.last_login_at = now
    user.last_login_at = now
    db.session.flush()
    return user


def _change_email(user: User, new_email: str, *, now: datetime) -> None:
    clash = db.session.scalar(select(User.id).where(User.email == new_email, User.id != user.id))
    if clash is not None:
        raise LoginRefused("conflict", _l(
            "Alamat e-mail ini sudah terhubung dengan akun lain. Hubungi Pusat Bantuan."))
    audit.record("auth.email_changed", "user", user.id, actor_id=user.id, now=now,
                 data={"old": user.email, "new": new_email})
    user.email = new_email


def get_or_create_account(email: str, *, now: datetime, allowed_domains: Iterable[str]) -> User:
    """The account for ``email``, created without identity when missing (linked on first login)."""
    email = email.strip().lower()
    if not email_allowed(email, allowed_domains):
        raise Invalid(_l("Alamat e-mail %(email)s bukan akun belajar.id.", email=email))
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, name="", created_at=now)
        db.session.add(user)
        db.session.flush()
    return user


def find_user(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(_l("Akun %(email)s tidak ditemukan.", email=email))
    return user


def grant_role(user: User, role: str, *, now: datetime, actor_id: int | None = None) -> bool:
    """Give ``role`` to ``user``; returns False when it was already held."""
    if role not in ROLES:
        raise Invalid(_l("Peran tidak dikenal: %(role)s. Pilihan: %(roles)s", role=role, roles=", ".join(ROLES)))
    if role in user.roles:
        return False
    user.role_rows.append(UserRole(role=role, granted_at=now, granted_by_id=actor_id))
    audit.record("roles.grant", "user", user.id, actor_id=actor_id, now=now, data={"role": role})
    db.session.flush()
    return True


def revoke_role(user: User, role: str, *, now: datetime, actor_id: int | None = None) -> bool:
    row = next((r for r in user.role_rows if r.role == role), None)
    if row is None:
        return False
    user.role_rows.remove(row)
    audit.record("roles.revoke", "user", user.id, actor_id=actor_id, now=now, data={"role": role})
    db.session.flush()
    return True


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, *, days: int, now: datetime, actor_id: int | None = None) -> tuple[ApiToken, str]:
    """Make a personal API token; returns the row and the token, which is not kept anywhere."""
    if days < 1 or days > 3650:
        raise Invalid(_l("Masa berlaku token harus 1 sampai 3650 hari."))
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user=user, token_hash=hash_token(token), prefix=token[:12], created_at=now,
                   expires_at=now + timedelta(days=days))
    db.session.add(row)
    db.session.flush()
    audit.record("tokens.create", "api_token", row.id, actor_id=actor_id, now=now,
                 data={"user_id": user.id, "days": days})
    return row, token


def authenticate_token(token: str, *, now: datetime) -> User | None:
    """The active user a live token belongs to, or None. Records when the token was last used."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = token_with_user(hash_token(token))  # one statement: the token, its user and the user's roles
    if row is None or row.revoked_at is not None or row.expires_at <= now or not row.user.active:
        return None
    record_token_use(row, now=now)
    return row.user


#: A token's last use is recorded at most this often, so that a read does not write on every request.
TOKEN_USE_RESOLUTION = timedelta(minutes=5)


def record_token_use(row: ApiToken, *, now: datetime) -> None:
    """One conditional UPDATE, only when the recorded use is older than ``TOKEN_USE_RESOLUTION``; concurrent
    requests of the same token write it once. The request boundary commits it with the request."""
    stale = now - TOKEN_USE_RESOLUTION
    if row.last_used_at is not None and row.last_used_at >= stale:
        return  # recent enough: no statement at all
    # Bookkeeping: a refusal that changes nothing else keeps it (and ends with COMMIT, see lms.core.boundary).
    bookkeeping(db.session.connection(), _RECORD_USE, {"token_id": row.id, "stale": stale, "now": now})
    set_committed_value(row, "last_used_at", now)


#: The token's last use, unless a concurrent request recorded a recent one; built once.
_RECORD_USE = (update(ApiToken)
               .where(ApiToken.id == bindparam("token_id"),
                      or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < bindparam("stale")))
               .values(last_used_at=bindparam("now")))


def revoke_tokens(user: User, *, now: datetime, token_id: int | None = None, actor_id: int | None = None) -> int:
    rows = [t for t in db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id,
                                                                 ApiToken.revoked_at.is_(None)))
            if token_id is None or t.id == token_id]
    for row in rows:
        row.revoked_at = now
        audit.record("tokens.revoke", "api_token", row.id, actor_id=actor_id, now=now, data={"user_id": user.id})
    db.session.flush()
    return len(rows)
