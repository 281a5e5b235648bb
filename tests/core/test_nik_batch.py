"""The batch NIK helpers give exactly what the standard constructions give: ``hmac_sha256`` is the stdlib's
HMAC-SHA256, ``nik_hasher`` is ``nik_hash``, and ``nik_encryptor`` writes Fernet tokens whose ciphertext is AES-CBC
of the NIK under the token's own IV."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from lms.core.nik import hmac_sha256, nik_encryptor, nik_hash, nik_hasher


def test_hmac_sha256_is_the_standard_hmac_for_any_key_length():
    messages = [b"", b"3175012902000001", os.urandom(89), os.urandom(200)]
    for key in (b"", b"k", os.urandom(16), os.urandom(64), os.urandom(65), os.urandom(300)):
        digest = hmac_sha256(key)
        assert [digest(m) for m in messages] == [hmac.digest(key, m, hashlib.sha256) for m in messages]


def test_nik_hasher_is_nik_hash():
    key = os.urandom(32)
    hasher = nik_hasher(key)
    for nik in ("3175012902000001", "", "é" * 9):
        assert hasher(nik) == nik_hash(nik, key)


def test_batch_tokens_are_fernet_tokens_of_aes_cbc_under_their_own_iv():
    key = Fernet.generate_key()
    raw = base64.urlsafe_b64decode(key)
    niks = ["3175012902000001", "3175012902000002", "", "x" * 31, "é" * 9, "3175012902000001", "y" * 32]
    tokens = nik_encryptor(key)(niks)
    box = Fernet(key)
    assert [box.decrypt(t.encode()).decode() for t in tokens] == niks
    for nik, token in zip(niks, tokens, strict=True):
        body = base64.urlsafe_b64decode(token)
        iv, ciphertext, tag = body[9:25], body[25:-32], body[-32:]
        padder = padding.PKCS7(128).padder()
        expected = Cipher(algorithms.AES(raw[16:]), modes.CBC(iv)).encryptor()
        padded = padder.update(nik.encode()) + padder.finalize()
        assert ciphertext == expected.update(padded) + expected.finalize()
        assert tag == hmac.digest(raw[:16], body[:-32], hashlib.sha256)
    assert len({base64.urlsafe_b64decode(t)[9:25] for t in tokens}) == len(niks)  # an IV of its own each
    assert nik_encryptor(key)([]) == []
