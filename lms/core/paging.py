"""One page of a listing, with what the pager needs: by number (LIMIT/OFFSET, ``Page``) or by key (``KeysetPage``:
the rows after or before an opaque cursor, so that a page far down a long list costs what the first page costs)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import literal, tuple_

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


def _scalar(value):
    if isinstance(value, bool):
        return int(value)
    return value.isoformat() if isinstance(value, datetime) else value


def encode_cursor(key: list | tuple) -> str:
    """An opaque, URL-safe cursor for a sort key (strings, integers; booleans and datetimes are written as an
    integer and an ISO 8601 string, read back by ``decode_cursor``'s ``types``)."""
    raw = json.dumps([_scalar(v) for v in key], separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(text: str, *, arity: int | None = None, field: str = "after", types: tuple = ()) -> list:
    """The sort key of a cursor made by ``encode_cursor``, of ``arity`` strings or integers, or of one value of
    each of ``types`` (``str``, ``int``, ``bool``, ``datetime``); anything else is a clear 422 (``BadCursor``),
    never a server error."""
    types = types or (str | int,) * (arity or 0)
    try:
        if not text or len(text) > MAX_CURSOR:
            raise ValueError
        key = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("utf-8"))
        if not isinstance(key, list) or len(key) != len(types):
            raise ValueError
        return [_typed(value, kind) for value, kind in zip(key, types, strict=True)]
    except (ValueError, UnicodeError, binascii.Error):
        raise BadCursor(details={field: str(BadCursor.message)}) from None


def _typed(value, kind):
    """``value`` of a decoded cursor as ``kind``, or ValueError."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError
    if kind is datetime:
        if not isinstance(value, str):
            raise ValueError
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError
        return moment
    if kind is bool:
        if value not in (0, 1) or not isinstance(value, int):
            raise ValueError
        return bool(value)
    if kind in (str, int) and not isinstance(value, kind):
        raise ValueError
    return value


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


class Keyset:
    """A listing's keyset order: sort expressions, all ascending or all descending, the last one unique (an id or
    a line) so that a cursor names one row. ``select`` turns a filtered query into the query of one page (the rows
    after or before a cursor, or by OFFSET when a page number alone is given); ``page`` makes the ``KeysetPage``
    of the rows it read. One row-value comparison (``(a, b, c) > (:a, :b, :c)``) is what lets an index on the
    same columns, in the same order, find the page's first row without reading the rows before it."""

    def __init__(self, *columns, types: tuple, descending: bool = False) -> None:
        assert len(columns) == len(types)
        self.columns, self.types, self.descending = columns, types, descending

    def select(self, query, *, page: int, per_page: int, after: str | None = None, before: str | None = None):
        """``query`` limited to one page, ``per_page + 1`` rows (the extra one tells whether a next page exists);
        a bad cursor raises ``BadCursor``."""
        if after is not None:
            return self._from(query, decode_cursor(after, types=self.types, field="after"), backward=False) \
                .limit(per_page + 1)
        if before is not None:
            return self._from(query, decode_cursor(before, types=self.types, field="before"), backward=True) \
                .limit(per_page + 1)
        return query.order_by(*self._order(backward=False)).limit(per_page + 1).offset((page - 1) * per_page)

    def page(self, rows: list, *, page: int, per_page: int, total: int, key, after: str | None = None,
             before: str | None = None) -> KeysetPage:
        """The page of ``rows`` read by ``select`` with the same arguments; ``key(row)``: the row's sort key."""
        backward = before is not None and after is None
        window, next_cursor, prev_cursor = keyset_window(list(rows), per_page=per_page, backward=backward,
                                                         from_cursor=after is not None or page > 1, key=key)
        return KeysetPage(window, max(1, page), per_page, total, next_cursor, prev_cursor)

    def _order(self, *, backward: bool) -> list:
        down = self.descending != backward
        return [column.desc() if down else column.asc() for column in self.columns]

    def _from(self, query, values: list, *, backward: bool):
        # Each value bound with its column's type (an instant as the column stores it).
        bound = [literal(value, type_=column.type) for column, value in zip(self.columns, values, strict=True)]
        if len(self.columns) == 1:
            left, right = self.columns[0], bound[0]
        else:
            left, right = tuple_(*self.columns), tuple_(*bound)
        condition = left < right if self.descending != backward else left > right
        return query.where(condition).order_by(*self._order(backward=backward))
