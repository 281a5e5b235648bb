"""The completion credential: an Open Badges 3.0 ``OpenBadgeCredential`` signed as a VC-JWT (ES256).

Anyone verifies it offline with the public keys at ``/.well-known/jwks.json``; revocation is a Bitstring Status
List (``/kredensial/status/1``), itself a signed VC-JWT. The subject is named by a salted hash of the
participant's e-mail and shown masked: the exam system compares it with the person in front of it.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import current_app
from joserfc import jws, jwt
from joserfc.errors import JoseError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from lms.access.services import mask_email
from lms.cohorts.models import Enrollment
from lms.core import audit
from lms.extensions import db
from lms.records import keys
from lms.records.models import Credential

OB_CONTEXT = ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
STATUS_CONTEXT = ["https://www.w3.org/ns/credentials/v2"]
#: Bits in the status list: the specification's minimum (16 KiB), which hides who is revoked among many.
STATUS_LIST_BITS = 131072
STATUS_LIST_ID = 1
_INDEX_TRIES = 20


def base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def issuer_id() -> str:
    return f"{base_url()}/kredensial/penerbit"


def status_list_url() -> str:
    return f"{base_url()}/kredensial/status/{STATUS_LIST_ID}"


def issuer_profile() -> dict:
    return {"@context": OB_CONTEXT, "id": issuer_id(), "type": ["Profile"],
            "name": current_app.config["CREDENTIAL_ISSUER_NAME"], "url": base_url(),
            "publicKey": f"{base_url()}/.well-known/jwks.json"}


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def mask_name(name: str) -> str:
    return " ".join(part[:1] + "*" * (len(part) - 1) for part in name.split())


def _sign(payload: dict, *, typ: str, now: datetime) -> str:
    key = keys.signing_key(now)
    header = {"alg": keys.ALGORITHM, "kid": key.kid, "typ": typ}
    return jwt.encode(header, payload, key, algorithms=[keys.ALGORITHM])


def build(enrollment: Enrollment, credential_uuid: str, status_index: int, now: datetime) -> dict:
    user, cohort = enrollment.user, enrollment.cohort
    curriculum = cohort.curriculum
    salt = secrets.token_hex(8)
    identity = "sha256$" + hashlib.sha256((user.email.lower() + salt).encode()).hexdigest()
    return {
        "@context": OB_CONTEXT,
        "id": f"urn:uuid:{credential_uuid}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer_id(), "type": ["Profile"], "name": current_app.config["CREDENTIAL_ISSUER_NAME"]},
        "validFrom": _iso(now),
        "name": f"Tuntas {curriculum.title}",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [{"type": "IdentityObject", "identityType": "emailAddress", "hashed": True,
                            "identityHash": identity, "salt": salt}],
            "name": mask_name(user.name or ""),
            "email_masked": mask_email(user.email),
            "cohort": cohort.code,
            "completedAt": _iso(enrollment.completed_at or now),
            "achievement": {
                "id": f"{base_url()}/kredensial/capaian/{curriculum.id}", "type": ["Achievement"],
                "achievementType": "Certificate", "name": curriculum.title,
                "description": "Menyelesaikan seluruh modul (materi, post-test, jurnal pembelajaran) "
                               "PPG bagi Guru Tertentu.",
                "criteria": {"narrative": "Setiap modul: semua materi selesai, post-test dikerjakan, jurnal "
                                          "pembelajaran dikirim."}},
        },
        "credentialStatus": {"id": f"{status_list_url()}#{status_index}", "type": "BitstringStatusListEntry",
                             "statusPurpose": "revocation", "statusListIndex": str(status_index),
                             "statusListCredential": status_list_url()},
    }


def active_credential(enrollment_id: int) -> Credential | None:
    return db.session.scalar(select(Credential).where(Credential.enrollment_id == enrollment_id,
                                                      Credential.revoked_at.is_(None))
                             .order_by(Credential.id.desc()).limit(1))


def issue(enrollment: Enrollment, *, now: datetime) -> Credential:
    """The participant's valid credential, issued now if there is none (in the caller's transaction)."""
    existing = active_credential(enrollment.id)
    if existing is not None:
        return existing
    credential_uuid = str(uuid.uuid4())
    # A random free bit, as the status-list specification recommends (its position says nothing about the holder);
    # the unique index settles a collision with a concurrent issue, and another bit is drawn.
    for _ in range(_INDEX_TRIES):
        index = secrets.randbelow(STATUS_LIST_BITS)
        credential = build(enrollment, credential_uuid, index, now)
        payload = {"iss": issuer_id(), "jti": credential["id"], "nbf": int(now.timestamp()),
                   "iat": int(now.timestamp()),
                   "sub": credential["credentialSubject"]["identifier"][0]["identityHash"], "vc": credential}
        row = Credential(uuid=credential_uuid, enrollment_id=enrollment.id, status_index=index, issued_at=now,
                         jwt=_sign(payload, typ="vc+jwt", now=now))
        try:
            with db.session.begin_nested():
                db.session.add(row)
                db.session.flush()
        except IntegrityError:
            continue
        return row
    raise RuntimeError("no free status-list index")


def revoke(enrollment: Enrollment, *, reason: str, now: datetime, actor_id: int | None) -> int:
    """An admin correction takes the completion away: the credential is revoked (its status bit set) and the
    enrollment counts as not complete until the participant completes again."""
    revoked = db.session.execute(update(Credential).where(Credential.enrollment_id == enrollment.id,
                                                          Credential.revoked_at.is_(None))
                                 .values(revoked_at=now, revoked_reason=reason[:500]),
                                 execution_options={"synchronize_session": False}).rowcount
    enrollment.completed_at = None
    audit.record("credential.revoke", "enrollment", enrollment.id, actor_id=actor_id, now=now,
                 data={"reason": reason[:500], "revoked": revoked})
    return revoked


def encoded_status_list() -> str:
    bits = bytearray(STATUS_LIST_BITS // 8)
    for index in db.session.scalars(select(Credential.status_index).where(Credential.revoked_at.is_not(None))):
        if index < STATUS_LIST_BITS:
            bits[index // 8] |= 0x80 >> (index % 8)  # index 0 is the leftmost bit
    return "u" + base64.urlsafe_b64encode(gzip.compress(bytes(bits), mtime=0)).decode().rstrip("=")


def status_list_jwt(now: datetime) -> str:
    credential = {"@context": STATUS_CONTEXT, "id": status_list_url(),
                  "type": ["VerifiableCredential", "BitstringStatusListCredential"],
                  "issuer": issuer_id(), "validFrom": _iso(now),
                  "credentialSubject": {"id": f"{status_list_url()}#list", "type": "BitstringStatusList",
                                        "statusPurpose": "revocation", "encodedList": encoded_status_list()}}
    return _sign({"iss": issuer_id(), "iat": int(now.timestamp()), "vc": credential}, typ="vc+jwt", now=now)


def bit_is_set(encoded: str, index: int) -> bool:
    data = encoded[1:] if encoded.startswith("u") else encoded
    bits = gzip.decompress(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
    return index // 8 < len(bits) and bool(bits[index // 8] & (0x80 >> (index % 8)))


@dataclass
class Verification:
    valid: bool = False
    problems: list[str] = field(default_factory=list)
    issuer: str | None = None
    subject_email: str | None = None
    subject_name: str | None = None
    achievement: str | None = None
    cohort: str | None = None
    issued: str | None = None
    revoked: bool | None = None


def _decode(token: str, jwks: dict) -> dict:
    token = token.strip()
    header = jws.extract_compact(token.encode()).protected
    keyset = keys.public_keyset(jwks)
    if not any(k.kid == header.get("kid") for k in keyset.keys):
        raise JoseError("unknown key")
    return jwt.decode(token, keyset, algorithms=[keys.ALGORITHM]).claims


def verify(token: str, *, jwks: dict, status_list: str | None, now: datetime) -> Verification:
    """Signature (with ``jwks`` only), issuer, validity and revocation (``status_list``: the status list VC-JWT,
    or None when it is not at hand, which is reported as not checked)."""
    result = Verification()
    try:
        claims = _decode(token, jwks)
    except (JoseError, ValueError, UnicodeError) as exc:
        result.problems.append(f"signature: {exc}")
        return result
    vc = claims.get("vc") or {}
    subject = vc.get("credentialSubject") or {}
    result.issuer = (vc.get("issuer") or {}).get("id")
    result.subject_email, result.subject_name = subject.get("email_masked"), subject.get("name")
    result.achievement = (subject.get("achievement") or {}).get("name")
    result.cohort, result.issued = subject.get("cohort"), vc.get("validFrom")
    if claims.get("iss") != issuer_id() or result.issuer != issuer_id():
        result.problems.append("issuer")
    if "OpenBadgeCredential" not in (vc.get("type") or []):
        result.problems.append("type")
    if isinstance(claims.get("nbf"), int) and claims["nbf"] > now.timestamp() + 300:
        result.problems.append("not yet valid")
    status = vc.get("credentialStatus") or {}
    if status_list is not None and status:
        try:
            listed = _decode(status_list, jwks)["vc"]["credentialSubject"]["encodedList"]
            result.revoked = bit_is_set(listed, int(status["statusListIndex"]))
        except (JoseError, ValueError, KeyError, TypeError, OSError) as exc:
            result.problems.append(f"status: {exc}")
        if result.revoked:
            result.problems.append("revoked")
    result.valid = not result.problems
    return result
