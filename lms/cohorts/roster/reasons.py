"""Roster-import reasons in the reader's language.

The reasons an import records (per row, and for the file as a whole) are stored as text, in the source language
(Bahasa Indonesia: ``run_import`` forces it), since the rows are checked by set-based SQL that writes them. They are
translated when shown: each stored reason is matched against the source messages below (their placeholders become
groups) and given again through gettext, in the viewer's language. Text that matches none is shown as stored.

``SOURCES`` lists every message the import may store; tests/cohorts/test_roster_reasons.py checks that it holds
each ``_l("...")`` of the roster modules and ``lms.core.nik``, and that each has an English translation.
"""

from __future__ import annotations

import re
from functools import lru_cache

from flask_babel import gettext

#: The source messages; one that ends with a space is a prefix followed by a value (a line number, a cohort code).
SOURCES = (
    # reading: the file
    "Berkas bukan teks UTF-8 (sekitar baris %(n)s). Simpan ulang sebagai CSV UTF-8.",
    "Berkas berisi karakter NUL (sekitar baris %(n)s); ini bukan berkas CSV teks. Simpan ulang sebagai CSV UTF-8.",
    "Berkas bukan teks UTF-8. Simpan ulang sebagai CSV UTF-8.",
    "Sel terlalu panjang di baris %(n)s (lebih dari %(limit)s karakter). Periksa berkasnya: daftar peserta tidak "
    "memiliki sel sepanjang itu.",
    "Akhir baris tidak dikenali di baris %(n)s (hanya CR). Simpan ulang sebagai CSV UTF-8 dengan akhir baris LF atau "
    "CRLF.",
    "Format CSV rusak di baris %(n)s. Simpan ulang sebagai CSV UTF-8 lalu unggah lagi.",
    "Berkas kosong: baris judul kolom tidak ada.",
    "Kolom wajib tidak ada: %(missing)s. Kolom yang diperlukan: %(all)s.",
    "Berkas tidak berisi data peserta (hanya baris judul).",
    # reading: each row
    "Jumlah kolom kurang (%(n)s).",
    "Nama wajib diisi (maksimal 200 karakter).",
    "E-mail %(email)s bukan akun belajar.id.",
    "NPSN harus 8 karakter.",
    "Satuan pendidikan wajib diisi (maksimal 200 karakter).",
    "Kode kab/kota %(code)s tidak dikenal.",
    "NIK harus 16 digit angka.",
    "Kode wilayah NIK (%(code)s) tidak dikenal.",
    "Tanggal lahir dalam NIK tidak valid.",
    "Nomor urut NIK tidak valid.",
    # applying: across rows and against the programme year
    "NIK sama dengan baris ",
    "E-mail sama dengan baris ",
    "Sudah terdaftar di angkatan lain tahun yang sama: ",
    "Akun ini sudah peserta angkatan lain tahun yang sama: ",
    "NIK ini sudah terdaftar dengan e-mail lain di angkatan ini; perubahan e-mail dilakukan oleh Pusat Bantuan.",
    "E-mail ini sudah terdaftar untuk NIK lain di angkatan ini.",
    # jobs
    "membaca berkas",
    "memeriksa dan menerapkan daftar peserta",
    "Terjadi kesalahan pada server saat %(phase)s (%(error)s). Tidak ada data yang diimpor; silakan unggah ulang "
    "berkas atau hubungi tim teknis.",
    "Impor terhenti karena proses pekerja berhenti. Tidak ada data yang diimpor; silakan unggah ulang berkas.",
    "Berkas unggahan tidak dapat dibaca (%(error)s). Tidak ada data yang diimpor; silakan unggah ulang berkas.",
)

_PLACEHOLDER = re.compile(r"%\\\((\w+)\\\)s")
_REST = "rest_"


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[re.Pattern, str]]:
    patterns = []
    for source in SOURCES:
        body = _PLACEHOLDER.sub(lambda m: f"(?P<{m.group(1)}>.*?)", re.escape(source))
        if source.endswith(" "):
            body += f"(?P<{_REST}>.*)"
        patterns.append((re.compile(body, re.DOTALL), source))
    return patterns


def _one(text: str) -> str | None:
    for pattern, source in _patterns():
        match = pattern.fullmatch(text)
        if match is None:
            continue
        values = match.groupdict()
        rest = values.pop(_REST, None)
        values = {name: translate(value) for name, value in values.items()}  # a phase is itself a message
        translated = gettext(source, **values) if values else gettext(source)
        return translated + rest if rest is not None else translated
    return None


def translate(text: str | None) -> str | None:
    """A stored reason (reasons of one row are joined by ``"; "``) in the viewer's language."""
    if not text:
        return text
    whole = _one(text)
    if whole is not None:
        return whole
    parts, out, i = text.split("; "), [], 0
    while i < len(parts):
        # The longest run of parts that is one message (a message may itself hold "; ").
        for j in range(len(parts), i, -1):
            found = _one("; ".join(parts[i:j]))
            if found is not None:
                out.append(found)
                i = j
                break
        else:
            out.append(parts[i])
            i += 1
    return "; ".join(out)
