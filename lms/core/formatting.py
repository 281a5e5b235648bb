"""Dates and deadlines as participants read them: Indonesian format, WIB and the participant's own zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from babel.dates import format_date, format_datetime
from flask import has_request_context, request

from lms.core.i18n import locale_name
from lms.core.regions import WIB, ZONE_LABELS, timezone_for, zone, zone_label

#: The cookie holding the zone a viewer reads times in (set at a participant's login, or chosen by staff).
ZONE_COOKIE = "lms_tz"


def display_locale() -> str:
    """The language dates are written in: the current one, else Indonesian. A caller that formats several dates
    may ask once and pass it to each (``locale=``)."""
    return locale_name() or "id"


_locale = display_locale


#: Formatted dates are pure functions of their arguments and the locale, and the same few (a cohort's window and
#: deadline) appear on every participant's page: each is formatted once per process (babel's formatting is a
#: noticeable part of a dashboard view's CPU).
_FORMATTED = 4096


def long_date(day: date | str) -> str:
    """E.g. '9 Januari 2027'; also takes an ISO date string (as the JSON-shaped read models carry)."""
    return _long_date(date.fromisoformat(day) if isinstance(day, str) else day, _locale())


@lru_cache(maxsize=_FORMATTED)
def _long_date(day: date, locale: str) -> str:
    return format_date(day, "d MMMM y", locale=locale)


def moment_text(instant: datetime, tz: str, locale: str | None = None) -> str:
    """E.g. '24 Juli 2024, 00.00 WIB' (in English '24 July 2024, 00:00 WIB'), in ``locale`` (default: the current
    language)."""
    return _moment_text(instant, tz, locale or _locale())


@lru_cache(maxsize=_FORMATTED)
def _moment_text(instant: datetime, tz: str, locale: str) -> str:
    pattern = "HH:mm" if locale.startswith("en") else "HH.mm"
    shown = format_datetime(instant.astimezone(zone(tz)), f"d MMMM y, {pattern}", locale=locale)
    return f"{shown} {zone_label(tz)}"


def viewer_zone() -> str:
    """The zone the current viewer reads times in: their chosen or participant zone, else WIB."""
    chosen = request.cookies.get(ZONE_COOKIE) if has_request_context() else None
    return chosen if chosen in ZONE_LABELS else WIB


def moment(instant: datetime | None, tz: str | None = None) -> str:
    """Template filter: an instant in ``tz`` (default: the viewer's zone), long Indonesian form with the zone."""
    if instant is None:
        return "–"
    if instant.tzinfo is None:  # SQLite hands back naive UTC
        instant = instant.replace(tzinfo=UTC)
    return moment_text(instant, tz or viewer_zone())


def local_session_text(day: date, start, province: str | None) -> str:
    """An exam session's local date and start time with the site's zone, e.g. '15 Januari 2027, 08.00 WITA'."""
    clock = start.strftime("%H:%M" if _locale().startswith("en") else "%H.%M")
    return f"{long_date(day)}, {clock} {zone_label(timezone_for(province))}"


def deadline_text(closes_at: datetime, tz: str, locale: str | None = None) -> str:
    """The last moment of an exclusive end instant, e.g. '4 September 2024 23.59 WIB'."""
    return _moment_text(closes_at - timedelta(seconds=1), tz, locale or _locale())


def deadlines(closes_at: datetime, participant_tz: str, locale: str | None = None) -> list[str]:
    """The deadline in WIB, and also in the participant's zone when that differs."""
    locale = locale or _locale()
    shown = [deadline_text(closes_at, WIB, locale)]
    if participant_tz != WIB:
        shown.append(deadline_text(closes_at, participant_tz, locale))
    return shown


def register_filters(app) -> None:
    app.jinja_env.filters["long_date"] = long_date
    app.jinja_env.filters["moment"] = moment
    app.jinja_env.globals["local_session_text"] = local_session_text
    app.jinja_env.globals["viewer_zone"] = viewer_zone
