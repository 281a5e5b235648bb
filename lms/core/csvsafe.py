"""CSV exports that spreadsheets cannot run: formula injection neutralised (the OWASP recommendation).

A cell whose text begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula (or becomes
one) when the file is opened in Excel or LibreOffice; a participant named ``=HYPERLINK("http://x")`` would
otherwise put a live link into an admin's spreadsheet. Such a cell is prefixed with ``'``, which spreadsheets show
as text and do not display. Numbers the application writes itself (``int``, ``float``, ``Decimal``) are left as
numbers: a negative count is not an injection.

``restore_cell`` undoes the prefix, so that a file exported here and imported again (a roster) keeps its values.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PREFIX = "'"


def safe_cell(value: Any) -> str | int | float | Decimal:
    """The value as a cell a spreadsheet shows as text; ``None`` is an empty cell."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal):
        return value
    text = str(value)
    return PREFIX + text if text.startswith(FORMULA_STARTS) else text


def restore_cell(text: str) -> str:
    """Undo ``safe_cell`` on a value read back from one of our exports."""
    if len(text) > 1 and text[0] == PREFIX and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


class SafeWriter:
    """``csv.writer`` whose every cell goes through ``safe_cell``."""

    def __init__(self, out: TextIO, **options: Any):
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter(csv.DictWriter):
    """``csv.DictWriter`` whose every value goes through ``safe_cell``."""

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({key: safe_cell(value) for key, value in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        for row in rowdicts:
            self.writerow(row)


def writer(out: TextIO, **options: Any) -> SafeWriter:
    return SafeWriter(out, **options)


def write_rows(out: TextIO, header: Sequence[str], rows: Iterable[Iterable[Any]]) -> None:
    """Write a header and the rows, every cell neutralised."""
    target = SafeWriter(out)
    target.writerow(header)
    target.writerows(rows)


def template(header: Sequence[str], example: Mapping[str, Any]) -> str:
    """A CSV template to download: the importer's header and one example row (every cell neutralised, UTF-8 with
    a BOM so that spreadsheets read it as UTF-8). ``example`` names a value for each column of ``header``."""
    out = io.StringIO()
    out.write("\ufeff")
    write_rows(out, header, [[example[name] for name in header]])
    return out.getvalue()
