"""NIK (Nomor Induk Kependudukan) is personal data (UU 27/2022): validated, looked up by a keyed hash,
kept in clear only encrypted.

Layout: PP KK SS DDMMYY NNNN — province, kab/kota, kecamatan, birth date (day + 40 for women), serial.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

from cryptography.fernet import Fernet, InvalidToken
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


def fernet(key: bytes | None = None) -> Fernet:
    return Fernet(key or current_app.config["NIK_ENCRYPTION_KEY"])


def encrypt_nik(nik: str, box: Fernet | None = None) -> str:
    return (box or fernet()).encrypt(nik.encode()).decode()


def decrypt_nik(token: str) -> str | None:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return None


def mask_nik(nik: str) -> str:
    return nik[:4] + "*" * 8 + nik[-4:]
