"""One page of a listing, with what the pager needs: by number (LIMIT/OFFSET, ``Page``) or by key (``KeysetPage``:
the rows after or before an opaque cursor, so that a page far down a long list costs what the first page costs)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from lms.core.errors import Invalid

#: Longest cursor accepted (a sort key of a few short strings, encoded).
MAX_CURSOR = 600


@dataclass
class Page:
    rows: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


class BadCursor(Invalid):
    code = "invalid_cursor"
    message = _l("Penanda halaman (cursor) tidak valid. Muat ulang daftar dari halaman pertama.")


def encode_cursor(key: list | tuple) -> str:
    """An opaque, URL-safe cursor for a sort key (a list of JSON scalars)."""
    raw = json.dumps(list(key), separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(text: str, *, arity: int, field: str = "after") -> list:
    """The sort key of a cursor made by ``encode_cursor``, of ``arity`` strings or integers; anything else is a
    clear 422 (``BadCursor``), never a server error."""
    try:
        if not text or len(text) > MAX_CURSOR:
            raise ValueError
        key = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("utf-8"))
    except (ValueError, UnicodeError, binascii.Error):
        raise BadCursor(details={field: str(BadCursor.message)}) from None
    if (not isinstance(key, list) or len(key) != arity
            or not all(isinstance(v, str | int) and not isinstance(v, bool) for v in key)):
        raise BadCursor(details={field: str(BadCursor.message)})
    return key


@dataclass
class KeysetPage:
    """Rows after (or before) a cursor, in order. ``page`` numbers the page for people (carried by the links, not
    used to find the rows); ``next_cursor``/``prev_cursor`` are ``None`` at either end of the list."""

    rows: list
    page: int
    per_page: int
    total: int
    next_cursor: str | None
    prev_cursor: str | None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.prev_cursor is not None

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None


def keyset_window(rows: list, *, per_page: int, backward: bool, from_cursor: bool, key) -> tuple[list, str | None,
                                                                                                 str | None]:
    """From up to ``per_page + 1`` rows read after a cursor (or before it, ``backward``, in reverse order): the
    page's rows in list order and the cursors of the next and previous pages (``key(row)`` is a row's sort key)."""
    more = len(rows) > per_page
    rows = rows[:per_page]
    if backward:
        rows.reverse()
    if not rows:
        return rows, None, None
    first, last = encode_cursor(key(rows[0])), encode_cursor(key(rows[-1]))
    if backward:
        return rows, last, first if more else None
    return rows, last if more else None, first if from_cursor else None
