"""One LIKE escaping for every search box: wildcards typed by a user match themselves."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, literal, select

from lms.core.db import LIKE_ESCAPE, contains_pattern


@pytest.mark.parametrize(("text", "haystack", "matches"), [
    ("dewi", "ibu dewi sartika", True),
    ("%", "ibu dewi", False),
    ("%", "diskon 50% guru", True),
    ("_", "guru.satu", False),
    ("_", "guru_satu", True),
    ("\\", "a\\b", True),
    ("\\", "ab", False),
])
def test_contains_pattern_takes_wildcards_literally(text, haystack, matches):
    engine = create_engine("sqlite://")
    with engine.connect() as conn:
        found = conn.scalar(select(literal(haystack).like(contains_pattern(text), escape=LIKE_ESCAPE)))
    assert bool(found) is matches
