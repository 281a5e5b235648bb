"""Dates and deadlines as participants read them: Indonesian format, WIB and the participant's own zone."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from babel.dates import format_date, format_datetime
from flask_babel import get_locale

from lms.core.regions import WIB, zone, zone_label


def _locale() -> str:
    return str(get_locale() or "id")


def long_date(day: date) -> str:
    return format_date(day, "d MMMM y", locale=_locale())


def moment_text(instant: datetime, tz: str) -> str:
    """E.g. '24 Juli 2024 00.00 WIB'."""
    return f"{format_datetime(instant.astimezone(zone(tz)), 'd MMMM y HH.mm', locale=_locale())} {zone_label(tz)}"


def deadline_text(closes_at: datetime, tz: str) -> str:
    """The last moment of an exclusive end instant, e.g. '4 September 2024 23.59 WIB'."""
    return moment_text(closes_at - timedelta(seconds=1), tz)


def deadlines(closes_at: datetime, participant_tz: str) -> list[str]:
    """The deadline in WIB, and also in the participant's zone when that differs."""
    shown = [deadline_text(closes_at, WIB)]
    if participant_tz != WIB:
        shown.append(deadline_text(closes_at, participant_tz))
    return shown


def register_filters(app) -> None:
    app.jinja_env.filters["long_date"] = long_date
