"""NIK (Nomor Induk Kependudukan) is personal data (UU 27/2022): validated, looked up by a keyed hash,
kept in clear only encrypted.

Layout: PP KK SS DDMMYY NNNN — province, kab/kota, kecamatan, birth date (day + 40 for women), serial.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import struct
import time
from collections.abc import Callable, Sequence
from datetime import date

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from flask import current_app
from flask_babel import lazy_gettext as _l

from lms.core.regions import kabkota_exists


def nik_problem(nik: str) -> str | None:
    """Why ``nik`` is not a valid NIK, or None."""
    if len(nik) != 16 or not nik.isascii() or not nik.isdigit():
        return str(_l("NIK harus 16 digit angka."))
    if not kabkota_exists(nik[:4]):
        return str(_l("Kode wilayah NIK (%(code)s) tidak dikenal.", code=nik[:4]))
    day, month, year = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    if day > 40:
        day -= 40
    if not any(_is_date(century + year, month, day) for century in (1900, 2000)):
        return str(_l("Tanggal lahir dalam NIK tidak valid."))
    if nik[12:] == "0000":
        return str(_l("Nomor urut NIK tidak valid."))
    return None


def _is_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def normalize_nik(raw: str) -> str:
    return "".join(raw.split())


def nik_hash(nik: str, key: bytes | None = None) -> str:
    """HMAC-SHA256 of the NIK with the configured key: equal NIKs match; the NIK cannot be read back."""
    key = key or current_app.config["NIK_HMAC_KEY"]
    return hmac.new(key, nik.encode(), hashlib.sha256).hexdigest()


def nik_hasher(key: bytes | None = None) -> Callable[[str], str]:
    """``nik_hash`` for many NIKs in a row (a roster file): the same hex digest at about half the CPU per NIK."""
    digest = hmac_sha256(key or current_app.config["NIK_HMAC_KEY"])
    return lambda nik: digest(nik.encode()).hex()


#: RFC 2104's inner and outer pads, as ``bytes.translate`` tables (as the stdlib's ``hmac`` makes them).
_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))


def hmac_sha256(key: bytes) -> Callable[[bytes], bytes]:
    """HMAC-SHA256 under one key, for many messages: ``hmac.digest(key, message, "sha256")``, with the key's inner
    and outer hash states computed once and copied per message (RFC 2104). The one-shot ``hmac.digest`` sets the
    key up again on every call, about 4 µs; this costs under 1 µs."""
    if len(key) > 64:  # the SHA-256 block size
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    inner, outer = hashlib.sha256(key.translate(_IPAD)).copy, hashlib.sha256(key.translate(_OPAD)).copy

    def digest(message: bytes) -> bytes:
        state = inner()
        state.update(message)
        result = outer()
        result.update(state.digest())
        return result.digest()

    return digest


def fernet(key: bytes | None = None) -> Fernet:
    return Fernet(key or current_app.config["NIK_ENCRYPTION_KEY"])


def nik_encryptor(key: bytes | None = None) -> Callable[[Sequence[str]], list[str]]:
    """Fernet tokens for a batch of NIKs at once: the same token format (version, timestamp, random IV,
    AES-128-CBC with PKCS7 padding, HMAC-SHA256), readable by ``Fernet.decrypt``, at well under half the CPU per
    NIK of ``Fernet.encrypt`` (30 000 NIKs in batches of 5000: 0.09 s against 0.23 s).

    CBC is computed for the whole batch with one AES call per block position: each NIK's first block is XORed
    with its own random IV and the next block with the previous block's ciphertext (``C_j = AES(P_j ^ C_j-1)``,
    ``C_0`` = the IV), exactly as CBC does message by message, the XOR done on the batch's bytes as one integer.
    The HMAC's key states are set up once (``hmac_sha256``). The timestamp is taken once, when the encryptor is
    made: it is not checked on decryption (no ``ttl`` is used)."""
    raw = base64.urlsafe_b64decode(key or current_app.config["NIK_ENCRYPTION_KEY"])
    sign = hmac_sha256(raw[:16])
    # ECB is AES applied to each 16-byte block on its own: the block cipher that CBC is built from, below.
    aes = Cipher(algorithms.AES(raw[16:]), modes.ECB()).encryptor()  # noqa: S305
    prefix = struct.pack(">BQ", 0x80, int(time.time()))
    encode = base64.urlsafe_b64encode

    def encrypt(niks: Sequence[str]) -> list[str]:
        tokens: list[str] = [""] * len(niks)
        for size, group in _padded_by_size(niks).items():
            ivs = os.urandom(16 * len(group))
            previous, blocks = ivs, []
            for start in range(0, size, 16):
                plain = b"".join(data[start:start + 16] for _, data in group)
                previous = aes.update(_xor(plain, previous))
                blocks.append(previous)
            for n, (index, _) in enumerate(group):
                at = 16 * n
                body = prefix + ivs[at:at + 16] + b"".join(block[at:at + 16] for block in blocks)
                tokens[index] = encode(body + sign(body)).decode()
        return tokens

    return encrypt


def _padded_by_size(niks: Sequence[str]) -> dict[int, list[tuple[int, bytes]]]:
    """The NIKs PKCS7-padded, grouped by padded length (one group for a file of 16-digit NIKs), with their
    positions."""
    groups: dict[int, list[tuple[int, bytes]]] = {}
    for index, nik in enumerate(niks):
        data = nik.encode()
        pad = 16 - len(data) % 16
        data += bytes((pad,)) * pad
        groups.setdefault(len(data), []).append((index, data))
    return groups


def _xor(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).to_bytes(len(a), "big")


def encrypt_nik(nik: str, box: Fernet | None = None) -> str:
    return (box or fernet()).encrypt(nik.encode()).decode()


def decrypt_nik(token: str) -> str | None:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return None


def mask_nik(nik: str) -> str:
    return nik[:4] + "*" * 8 + nik[-4:]
