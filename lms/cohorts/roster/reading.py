"""Reading a roster file: streamed UTF-8 lines, the header, and the check of each row on its own.

The per-row check runs once per line of files of hundreds of thousands of rows, so its common path is a few
dict/set look-ups prepared once per import (``RowContext``); the full functions (``nik_problem``,
``email_allowed``) run only for a row that fails the fast path, so the reasons stay theirs, word for word.
"""

from __future__ import annotations

import calendar
import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from typing import BinaryIO

from flask import current_app
from flask_babel import lazy_gettext as _l

from lms.auth.domains import domain_allowed, normalize_domain
from lms.core.csvsafe import PREFIX, restore_cell
from lms.core.nik import nik_hasher, nik_problem
from lms.core.regions import kabkota_table

COLUMNS = ("nik", "nama", "email", "npsn", "satuan_pendidikan", "kode_kabkota")
#: The example row of the downloadable template (a valid row: a NIK of Makassar, born 1 January 1990).
EXAMPLE = {"nik": "7371014101900001", "nama": "Siti Contoh", "email": "siti.contoh@guru.sd.belajar.id",
           "npsn": "40311234", "satuan_pendidikan": "SD Negeri Contoh", "kode_kabkota": "7371"}


class RosterFileError(Exception):
    """The file as a whole cannot be read (encoding, empty, columns)."""


def text_lines(stream: BinaryIO) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="strict")
    line_no = 1
    pending = ""
    while chunk := stream.read(1 << 16):
        try:
            pending += decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            line = line_no + pending.count("\n")
            raise RosterFileError(str(_l("Berkas bukan teks UTF-8 (sekitar baris %(n)s). Simpan ulang sebagai "
                                         "CSV UTF-8.", n=line))) from exc
        if "\x00" in pending:
            line = line_no + pending[:pending.index("\x00")].count("\n")
            raise RosterFileError(str(_l("Berkas berisi karakter NUL (sekitar baris %(n)s); ini bukan berkas CSV teks. "
                                         "Simpan ulang sebagai CSV UTF-8.", n=line)))
        *complete, pending = pending.split("\n")
        for text in complete:
            line_no += 1
            yield text + "\n"
    try:
        pending += decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise RosterFileError(str(_l("Berkas bukan teks UTF-8. Simpan ulang sebagai CSV UTF-8."))) from exc
    if pending:
        yield pending


def csv_problem(exc: csv.Error, line: int) -> RosterFileError:
    """The csv module's refusal (in English) as the admin can act on it."""
    text = str(exc)
    if "field limit" in text:
        message = _l("Sel terlalu panjang di baris %(n)s (lebih dari %(limit)s karakter). Periksa berkasnya: "
                     "daftar peserta tidak memiliki sel sepanjang itu.", n=line, limit=csv.field_size_limit())
    elif "new-line" in text:
        message = _l("Akhir baris tidak dikenali di baris %(n)s (hanya CR). Simpan ulang sebagai CSV UTF-8 dengan "
                     "akhir baris LF atau CRLF.", n=line)
    else:
        message = _l("Format CSV rusak di baris %(n)s. Simpan ulang sebagai CSV UTF-8 lalu unggah lagi.", n=line)
    return RosterFileError(str(message))


def header(reader) -> dict[str, int]:
    try:
        names = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise RosterFileError(str(_l("Berkas kosong: baris judul kolom tidak ada."))) from None
    except csv.Error as exc:
        raise csv_problem(exc, max(reader.line_num, 1)) from exc
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise RosterFileError(str(_l("Kolom wajib tidak ada: %(missing)s. Kolom yang diperlukan: %(all)s.",
                                     missing=", ".join(missing), all=", ".join(COLUMNS))))
    return {c: names.index(c) for c in COLUMNS}


@lru_cache(maxsize=1)
def month_lengths() -> dict[str, int]:
    """``MMYY`` -> the longest that month is in 19YY or 20YY (a NIK's birth date names no century)."""
    return {f"{month:02d}{year:02d}": max(calendar.monthrange(century + year, month)[1] for century in (1900, 2000))
            for month in range(1, 13) for year in range(100)}


@dataclass
class RowContext:
    """What every row of one import is checked with, prepared once."""

    index: dict[str, int]
    allowed_domains: tuple[str, ...]
    hmac_key: bytes
    kabkota: frozenset[str] = field(default_factory=lambda: frozenset(kabkota_table()))
    months: dict[str, int] = field(default_factory=month_lengths)
    #: e-mail domain -> allowed (a file has a handful of distinct domains)
    domains: dict[str, bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        #: NIK -> its ``nik_hash``, the key's HMAC states set up once
        self.hash_nik = nik_hasher(self.hmac_key)
        positions = [self.index[c] for c in COLUMNS]
        #: fields -> the six values, in ``COLUMNS`` order
        self.pick = itemgetter(*positions)
        self.width = max(max(positions) + 1, len(positions))

    @classmethod
    def for_app(cls, index: dict[str, int]) -> RowContext:
        return cls(index, tuple(current_app.config["ALLOWED_EMAIL_DOMAINS"]), current_app.config["NIK_HMAC_KEY"])


#: A checked row: ``(line, nik, nik_hash, nama, email, npsn, satuan_pendidikan, kode_kabkota, error)``; for a bad
#: row only ``line`` and ``error`` are set. The NIK in clear stays in memory only until the batch is staged.
CheckedRow = tuple


def check_row(line: int, fields: list[str], ctx: RowContext) -> CheckedRow:
    if len(fields) < ctx.width:
        return (line, None, None, None, None, None, None, None, str(_l("Jumlah kolom kurang (%(n)s).", n=len(fields))))
    values = [v.strip() for v in ctx.pick(fields)]
    if PREFIX in "".join(values):
        # restore_cell: a file exported by this application (formula-safe cells, a ``'`` before a formula
        # character) imports with its own values.
        values = [restore_cell(v).strip() for v in values]
    raw_nik, nama, email, npsn, satuan, kode = values
    nik = "".join(raw_nik.split())
    email = email.lower()
    npsn = npsn.upper()
    if (_nik_ok(nik, ctx) and 0 < len(nama) <= 200 and _email_ok(email, ctx)
            and len(npsn) == 8 and npsn.isascii() and npsn.isalnum() and 0 < len(satuan) <= 200
            and kode in ctx.kabkota):
        return (line, nik, ctx.hash_nik(nik), nama, email, npsn, satuan, kode, None)
    return (line, None, None, None, None, None, None, None, _problems(nik, nama, email, npsn, satuan, kode, ctx))


def _nik_ok(nik: str, ctx: RowContext) -> bool:
    """The fast path of ``nik_problem``: True only when that function would find no problem."""
    if len(nik) != 16 or not nik.isdigit() or not nik.isascii() or nik[:4] not in ctx.kabkota or nik[12:] == "0000":
        return False
    day = int(nik[6:8])
    if day > 40:
        day -= 40
    return 0 < day <= ctx.months.get(nik[8:12], 0)


def _email_ok(email: str, ctx: RowContext) -> bool:
    """``email_allowed`` with its domain verdict cached per import."""
    local, sep, domain = email.strip().rpartition("@")
    if not sep or not local or "@" in local or not domain:
        return False
    allowed = ctx.domains.get(domain)
    if allowed is None:
        allowed = ctx.domains[domain] = domain_allowed(normalize_domain(domain), ctx.allowed_domains)
    return allowed


def _problems(nik, nama, email, npsn, satuan, kode, ctx: RowContext) -> str:
    problems = []
    if problem := nik_problem(nik):
        problems.append(problem)
    if not nama or len(nama) > 200:
        problems.append(str(_l("Nama wajib diisi (maksimal 200 karakter).")))
    if not _email_ok(email, ctx):
        problems.append(str(_l("E-mail %(email)s bukan akun belajar.id.", email=email or "-")))
    if len(npsn) != 8 or not npsn.isascii() or not npsn.isalnum():
        problems.append(str(_l("NPSN harus 8 karakter.")))
    if not satuan or len(satuan) > 200:
        problems.append(str(_l("Satuan pendidikan wajib diisi (maksimal 200 karakter).")))
    if not (len(kode) == 4 and kode.isdigit() and kode in ctx.kabkota):
        problems.append(str(_l("Kode kab/kota %(code)s tidak dikenal.", code=kode or "-")))
    return "; ".join(problems)
