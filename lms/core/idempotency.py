"""Idempotency keys: a request repeated with the same key gets the first answer again, and is done once.

The key's row is INSERTed before the work, in the work's own transaction. A concurrent request with the same key
then waits on the unique index (PostgreSQL) or on the database lock (SQLite) until the first one ends: after a
commit it reads the stored answer; after a rollback it claims the key itself. A refused request rolls back and so
leaves no key, and a retry is decided afresh. Keys belong to one user and are honoured for ``TTL`` after their
first use (up to, not including, the moment it ends).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.db import UTCDateTime
from lms.core.errors import DomainError, Invalid
from lms.extensions import db

HEADER = "Idempotency-Key"
TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 200


class IdempotencyKey(db.Model):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_keys_user_id_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: As the client sent it (e.g. a UUID); unique per user.
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    #: The operation, e.g. ``ukppg.register``.
    scope: Mapped[str] = mapped_column(String(64))
    #: SHA-256 of the scope and the request payload: the same key with another request is refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    #: The stored answer. Null only inside the first request's own transaction, which stores it before committing.
    status: Mapped[int | None] = mapped_column()
    response: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class KeyReused(DomainError):
    code = "idempotency_key_reused"
    status = 422
    message = _l("Permintaan ini sudah pernah dikirim dengan data yang berbeda. Muat ulang halaman lalu coba lagi.")


class KeyInProgress(DomainError):
    code = "idempotency_in_progress"
    status = 409
    message = _l("Permintaan yang sama masih diproses. Tunggu sebentar lalu coba lagi.")


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict


def fingerprint(scope: str, payload) -> str:
    canonical = json.dumps([scope, payload], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_key(key: str) -> str:
    if not (0 < len(key) <= MAX_KEY_LENGTH) or not key.isascii() or not key.isprintable():
        raise Invalid(details={HEADER: str(_l("1 sampai %(n)s karakter ASCII yang dapat dicetak.", n=MAX_KEY_LENGTH))})
    return key


def claim(user_id: int, key: str, *, scope: str, payload, now: datetime) -> Answer | None:
    """Claim ``key`` for this request (None: go ahead, then ``remember``), or return the answer stored for it."""
    check_key(key)
    digest = fingerprint(scope, payload)
    where = (IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
    # An expired key is not honoured: its row makes way for this request.
    db.session.execute(delete(IdempotencyKey).where(*where, IdempotencyKey.created_at <= now - TTL),
                       execution_options={"synchronize_session": False})
    try:
        with db.session.begin_nested():
            db.session.execute(insert(IdempotencyKey).values(user_id=user_id, key=key, scope=scope,
                                                             fingerprint=digest, created_at=now))
        return None
    except IntegrityError:
        pass  # the first request with this key has committed: answer as it did
    row = db.session.execute(select(IdempotencyKey.fingerprint, IdempotencyKey.status, IdempotencyKey.response)
                             .where(*where)).one_or_none()
    if row is not None and row.fingerprint != digest:
        raise KeyReused()
    if row is None or row.status is None:
        raise KeyInProgress()
    return Answer(row.status, row.response)


def remember(user_id: int, key: str, answer: Answer) -> None:
    """Store the answer on the claimed key; committed with the work it answers for."""
    db.session.execute(update(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
                       .values(status=answer.status, response=answer.body),
                       execution_options={"synchronize_session": False})


def run_once(user_id: int, key: str | None, *, scope: str, payload, now: datetime,
             action: Callable[[], Answer]) -> tuple[Answer, bool]:
    """Run ``action`` unless ``key`` already has an answer. Returns (answer, replayed). The caller commits."""
    if key is None:
        return action(), False
    stored = claim(user_id, key, scope=scope, payload=payload, now=now)
    if stored is not None:
        return stored, True
    answer = action()
    remember(user_id, key, answer)
    return answer, False


def purge_expired(*, now: datetime) -> int:
    """Delete the keys older than ``TTL`` (one statement); returns how many went."""
    return db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at <= now - TTL),
                              execution_options={"synchronize_session": False}).rowcount
