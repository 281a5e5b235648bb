"""Dates as participants read them (``lms.core.formatting``): in the current language, or in the one a caller that
formats several dates asked for once."""

from __future__ import annotations

from datetime import UTC, datetime

from lms.core import formatting
from lms.core.i18n import LANG_COOKIE

CLOSES = datetime(2027, 1, 10, 17, 0, tzinfo=UTC)  # 11 January 00.00 WIB, exclusive


def test_dates_follow_the_current_language_or_the_one_passed(app, monkeypatch):
    with app.test_request_context("/"):
        assert formatting.deadline_text(CLOSES, "Asia/Jakarta") == "10 Januari 2027, 23.59 WIB"
    with app.test_request_context("/", headers={"Cookie": f"{LANG_COOKIE}=en"}):
        assert formatting.display_locale() == "en"
        assert formatting.moment_text(CLOSES, "Asia/Jakarta") == "11 January 2027, 00:00 WIB"
        assert formatting.moment_text(CLOSES, "Asia/Jakarta", "id") == "11 Januari 2027, 00.00 WIB"
        assert formatting.deadlines(CLOSES, "Asia/Jayapura") == ["10 January 2027, 23:59 WIB",
                                                                 "11 January 2027, 01:59 WIT"]
        asked = []
        monkeypatch.setattr(formatting, "_locale", lambda: asked.append(1) or "en")
        assert formatting.deadlines(CLOSES, "Asia/Makassar", "id") == ["10 Januari 2027, 23.59 WIB",
                                                                       "11 Januari 2027, 00.59 WITA"]
        assert formatting.deadline_text(CLOSES, "Asia/Jakarta", "id") == "10 Januari 2027, 23.59 WIB"
        assert asked == []  # a language passed is not asked for again
