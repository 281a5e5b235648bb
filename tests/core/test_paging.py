"""Typed cursors: what ``encode_cursor`` writes, ``decode_cursor`` reads back with the same types; anything else
(a naive instant, a boolean out of 0/1, a string for an id, the wrong arity) is the clear ``BadCursor``."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lms.core.paging import BadCursor, decode_cursor, encode_cursor

TYPES = (bool, datetime, int)


def test_a_typed_key_comes_back_as_it_went():
    key = [True, datetime(2026, 3, 1, 8, 0, 0, 123456, tzinfo=UTC), 42]
    assert decode_cursor(encode_cursor(key), types=TYPES) == key
    assert decode_cursor(encode_cursor(["a@b.id"]), arity=1) == ["a@b.id"]


@pytest.mark.parametrize("key", [[2, "2026-03-01T08:00:00+00:00", 1], [1, "2026-03-01T08:00:00", 1],
                                 [1, "kemarin", 1], [1, 5, 1], [1, "2026-03-01T08:00:00+00:00", "1"],
                                 [1, "2026-03-01T08:00:00+00:00"],
                                 [None, None, None]])
def test_a_key_of_other_types_is_refused(key):
    # (``encode_cursor`` writes what it is given; a client could send any of these.)
    with pytest.raises(BadCursor) as refused:
        decode_cursor(encode_cursor(key), types=TYPES, field="before")
    assert "before" in refused.value.details
