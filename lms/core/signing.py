"""Signers for the values every page signs or checks (the session cookie, the form token), made once and cheap per
use, with the same signatures as the ones Flask and Flask-WTF make.

A page view checks the session cookie's signature and signs the form token. itsdangerous makes a signer for every
``loads`` and derives its key again on every signature (an HMAC or a hash of the secret and salt), and its default
digest, ``_lazy_sha1``, is a Python function: ``hmac`` then takes its pure-Python path (a ``hashlib`` object per
inner and outer pad, copied and updated), about fifteen calls where OpenSSL's HMAC is one. Here:

- ``KeptSigner`` derives the key of each secret once (it depends only on the secret, the salt, the derivation and
  the digest, all fixed when the signer is made);
- ``HMAC_SHA1`` signs with ``hmac.digest`` and ``hashlib.sha1`` (OpenSSL's one-shot HMAC): the same HMAC-SHA1 bytes;
- ``KeptSignerSerializer`` makes its signer once per salt instead of once per ``loads``, and reads a plainly valid
  value (the session cookie of every page view) in one pass: the same checks, in the same order, as
  ``TimedSerializer.loads`` (signature with each key, newest first; a timestamp of at most eight bytes; its age
  within ``max_age`` and not negative; the payload decoded and loaded). Anything else (a bad signature, an expired
  or malformed value, a compressed payload, another salt, a timestamp asked back) goes through itsdangerous's own
  ``loads``, which answers or raises as it always has.

Key rotation works as before: the signer holds the key list (newest last), signs with the newest and checks with
each; a serializer built for other keys has its own signers.
"""

from __future__ import annotations

import hashlib
import hmac
from base64 import urlsafe_b64decode

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

    def loads(self, s: str | bytes, max_age: int | None = None, return_timestamp: bool = False,
              salt: str | bytes | None = None):
        if salt is None and not return_timestamp and not self.fallback_signers and self.is_text_serializer:
            found = self._plainly_valid(s, max_age)
            if found is not _NOT_PLAIN:
                return found
        return super().loads(s, max_age=max_age, return_timestamp=return_timestamp, salt=salt)

    def _plainly_valid(self, s: str | bytes, max_age: int | None):
        """The value's payload when it is plainly valid, else ``_NOT_PLAIN``."""
        signer = self.make_signer()
        try:
            data = s.encode("utf-8") if type(s) is str else s
            value, sep, sig = data.rpartition(signer.sep)
            if not sep:
                return _NOT_PLAIN
            sig = urlsafe_b64decode(sig + b"=" * (-len(sig) % 4))
            algorithm = signer.algorithm
            for key in reversed(signer.secret_keys):
                if hmac.compare_digest(sig, algorithm.get_signature(signer.derive_key(key), value)):
                    break
            else:
                return _NOT_PLAIN
            payload, sep, stamp = value.rpartition(signer.sep)
            stamp = urlsafe_b64decode(stamp + b"=" * (-len(stamp) % 4))
            if not sep or len(stamp) > 8 or payload[:1] == b".":
                return _NOT_PLAIN
            signed_at = int.from_bytes(stamp, "big")
            if max_age is not None:
                age = signer.get_timestamp() - signed_at
                if age > max_age or age < 0:
                    return _NOT_PLAIN
            signer.timestamp_to_datetime(signed_at)  # raises for a timestamp out of range, as ``unsign`` would
            text = urlsafe_b64decode(payload + b"=" * (-len(payload) % 4)).decode("utf-8")
            return self.serializer.loads(text)
        except Exception:  # noqa: BLE001 - itsdangerous's own path says what was wrong
            return _NOT_PLAIN

    def make_signer(self, salt: str | bytes | None = None):
        key = self.salt if salt is None else salt
        found = self._signers.get(key)
        if found is None:
            found = self._signers[key] = super().make_signer(salt)
        return found


_NOT_PLAIN = object()


def _is_lazy_sha1(digest) -> bool:
    """itsdangerous's (and Flask's) default digest: ``hashlib.sha1`` looked up at first use."""
    return getattr(digest, "__name__", None) == "_lazy_sha1" and getattr(digest, "__module__", "").startswith(
        "itsdangerous")
