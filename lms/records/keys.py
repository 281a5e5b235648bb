"""The credential signing keys (ES256, P-256), one JWK file each under ``CREDENTIAL_KEY_DIR``.

The newest key signs; every key stays published in ``/.well-known/jwks.json``, so credentials signed before a
rotation (``lms credentials rotate-key``) still verify. Only public parts leave this module.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from pathlib import Path

from flask import current_app
from joserfc.jwk import ECKey, KeySet

ALGORITHM = "ES256"


def _folder() -> Path:
    folder = Path(current_app.config["CREDENTIAL_KEY_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _files() -> list[Path]:
    return sorted(_folder().glob("*.json"))


def rotate(now: datetime) -> str:
    """Add a new signing key; the older ones stay for verifying. Returns the new key id."""
    kid = f"{now:%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"
    key = ECKey.generate_key("P-256", parameters={"kid": kid, "alg": ALGORITHM, "use": "sig"}, private=True)
    path = _folder() / f"{kid}.json"
    path.write_text(json.dumps(key.as_dict(private=True)))
    path.chmod(0o600)
    return kid


def signing_key(now: datetime) -> ECKey:
    """The newest key (created on first use when there is none)."""
    files = _files()
    if not files:
        rotate(now)
        files = _files()
    return ECKey.import_key(json.loads(files[-1].read_text()))


def public_jwks() -> dict:
    keys = []
    for path in _files():
        key = ECKey.import_key(json.loads(path.read_text()))
        keys.append(key.as_dict(private=False))
    return {"keys": keys}


def public_keyset(jwks: dict | None = None) -> KeySet:
    return KeySet.import_key_set(jwks or public_jwks())
