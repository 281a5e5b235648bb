"""Signers for the values every page signs or checks (the session cookie, the form token), made once and cheap per
use, with the same signatures as the ones Flask and Flask-WTF make.

A page view checks the session cookie's signature and signs the form token. itsdangerous makes a signer for every
``loads`` and derives its key again on every signature (an HMAC or a hash of the secret and salt), and its default
digest, ``_lazy_sha1``, is a Python function: ``hmac`` then takes its pure-Python path (a ``hashlib`` object per
inner and outer pad, copied and updated), about fifteen calls where OpenSSL's HMAC is one. Here:

- ``KeptSigner`` derives the key of each secret once (it depends only on the secret, the salt, the derivation and
  the digest, all fixed when the signer is made);
- ``HMAC_SHA1`` signs with ``hmac.digest`` and ``hashlib.sha1`` (OpenSSL's one-shot HMAC): the same HMAC-SHA1 bytes;
- ``KeptSignerSerializer`` makes its signer once per salt instead of once per ``loads``.

Key rotation works as before: the signer holds the key list (newest last), signs with the newest and checks with
each; a serializer built for other keys has its own signers.
"""

from __future__ import annotations

import hashlib
import hmac

from itsdangerous import URLSafeTimedSerializer
from itsdangerous.signer import HMACAlgorithm
from itsdangerous.timed import TimestampSigner


class OneShotHMAC(HMACAlgorithm):
    """HMAC with ``digest_method``, computed by ``hmac.digest`` (OpenSSL's one-shot HMAC for a ``hashlib``
    constructor): the bytes ``HMACAlgorithm`` gives."""

    def get_signature(self, key: bytes, value: bytes) -> bytes:
        return hmac.digest(key, value, self.digest_method)


#: HMAC-SHA1, what itsdangerous signs with by default (Flask's session, Flask-WTF's token).
HMAC_SHA1 = OneShotHMAC(hashlib.sha1)


class KeptSigner(TimestampSigner):
    """A timestamp signer that derives the key of each of its secrets once."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._derived: dict = {}

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        if secret_key is None:  # signing: the newest key, the one checking tries first
            secret_key = self.secret_keys[-1]
        found = self._derived.get(secret_key)
        if found is None:
            found = self._derived[secret_key] = super().derive_key(secret_key)
        return found


class KeptSignerSerializer(URLSafeTimedSerializer):
    """``URLSafeTimedSerializer`` whose signer (a ``KeptSigner``, signing with ``HMAC_SHA1`` unless told otherwise)
    is made once per salt."""

    default_signer = KeptSigner

    def __init__(self, *args, **kwargs) -> None:
        signer_kwargs = dict(kwargs.pop("signer_kwargs", None) or {})
        digest = signer_kwargs.pop("digest_method", None)
        if "algorithm" not in signer_kwargs and (digest in (None, hashlib.sha1) or _is_lazy_sha1(digest)):
            signer_kwargs["algorithm"] = HMAC_SHA1
            digest = hashlib.sha1
        if digest is not None:
            signer_kwargs["digest_method"] = digest
        super().__init__(*args, signer_kwargs=signer_kwargs, **kwargs)
        self._signers: dict = {}

    def make_signer(self, salt: str | bytes | None = None):
        key = self.salt if salt is None else salt
        found = self._signers.get(key)
        if found is None:
            found = self._signers[key] = super().make_signer(salt)
        return found


def _is_lazy_sha1(digest) -> bool:
    """itsdangerous's (and Flask's) default digest: ``hashlib.sha1`` looked up at first use."""
    return getattr(digest, "__name__", None) == "_lazy_sha1" and getattr(digest, "__module__", "").startswith(
        "itsdangerous")
