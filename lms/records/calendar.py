"""Calendar feeds (iCalendar, built with ``icalendar``): a private feed per teacher and a feed per cohort.

A feed address carries a secret: ``HMAC(SECRET_KEY, token row)``, so the app can show the address again while
the database keeps only its hash; revoking the row (or creating a new address) turns the old one off.
Times carry their zone (WIB, WITA or WIT) with a VTIMEZONE, so a calendar shows them right wherever it is.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from icalendar import Calendar, Event
from sqlalchemy import select, update

from lms.cohorts.models import Cohort, Enrollment
from lms.core.regions import timezone_for, zone, zone_label
from lms.extensions import db
from lms.records.models import CalendarToken
from lms.ukppg.services import registration_window

PRODID = "-//Kemendikdasmen//lms Sertifikasi Pendidik//ID"


def _secret(token: CalendarToken) -> str:
    message = f"calendar:{token.id}:{token.user_id}:{token.created_at.isoformat()}".encode()
    return hmac.new(current_app.config["SECRET_KEY"].encode(), message, hashlib.sha256).hexdigest()[:40]


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def active_token(user_id: int) -> CalendarToken | None:
    return db.session.scalar(select(CalendarToken).where(CalendarToken.user_id == user_id,
                                                         CalendarToken.revoked_at.is_(None))
                             .order_by(CalendarToken.id.desc()).limit(1))


def secret_of(token: CalendarToken) -> str:
    return _secret(token)


def new_token(user_id: int, *, now: datetime) -> str:
    """Revoke the account's feed address and make a new one; returns its secret."""
    revoke(user_id, now=now)
    # The secret derives from the row, so the row exists first (with a random placeholder hash).
    token = CalendarToken(user_id=user_id, created_at=now.replace(microsecond=0), token_hash=secrets.token_hex(32))
    db.session.add(token)
    db.session.flush()
    secret = _secret(token)
    token.token_hash = _hash(secret)
    db.session.flush()
    return secret


def revoke(user_id: int, *, now: datetime) -> int:
    return db.session.execute(update(CalendarToken).where(CalendarToken.user_id == user_id,
                                                          CalendarToken.revoked_at.is_(None))
                              .values(revoked_at=now), execution_options={"synchronize_session": False}).rowcount


def user_for_secret(secret: str) -> int | None:
    return db.session.scalar(select(CalendarToken.user_id).where(CalendarToken.token_hash == _hash(secret),
                                                                 CalendarToken.revoked_at.is_(None)))


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    return calendar


def _event(uid: str, summary: str, start: datetime, end: datetime | None, tz: str, now: datetime,
           description: str = "") -> Event:
    event = Event()
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "lms"
    event.add("uid", f"{uid}@{host}")
    event.add("dtstamp", now)
    event.add("summary", summary)
    event.add("dtstart", start.astimezone(zone(tz)))
    if end is not None:
        event.add("dtend", end.astimezone(zone(tz)))
    if description:
        event.add("description", description)
    return event


def _finish(calendar: Calendar) -> bytes:
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _window_events(prefix: str, cohort: Cohort, closes_at: datetime, opens_at: datetime | None,
                   registration_closes: datetime, tz: str, now: datetime) -> list[Event]:
    label = zone_label(tz)
    last = closes_at - timedelta(seconds=1)
    events = [_event(f"{prefix}-learning-end", f"Batas akhir belajar {cohort.code}", last - timedelta(hours=1), last,
                     tz, now, f"Jendela belajar ditutup {last.astimezone(zone(tz)):%d-%m-%Y %H:%M} {label}.")]
    # Without a registration start set by the admin, registration opens at completion (within the window).
    events.append(_event(f"{prefix}-registration", "Pendaftaran UKPPPG", opens_at or cohort.learning_opens_at,
                         registration_closes, tz, now, "Daftar UKPPPG dari dasbor setelah semua modul tuntas."))
    return events


def teacher_feed(enrollment: Enrollment, *, now: datetime) -> bytes:
    """The learning window end, the registration window and the UKPPPG session, in the teacher's own zone
    (the session in its site's zone)."""
    cohort = enrollment.cohort
    tz = timezone_for(enrollment.kode_kabkota) if enrollment.kode_kabkota else cohort.timezone
    window = registration_window(enrollment)
    calendar = _calendar(f"Sertifikasi Pendidik {cohort.code}")
    for event in _window_events(f"enrollment-{enrollment.id}", cohort, enrollment.closes_at(), window.opens_at,
                                window.closes_at, tz, now):
        calendar.add_component(event)
    registration = enrollment.registration
    if registration is not None:
        session, site = registration.session, registration.session.site
        site_tz = timezone_for(site.kode_kabkota)
        start = datetime.combine(session.date, session.start, tzinfo=zone(site_tz))
        event = _event(f"ukppg-{registration.id}", f"UKPPPG {site.name}", start, None, site_tz, now,
                       f"Nomor pendaftaran {registration.number}. {site.address}")
        event.add("location", f"{site.name}, {site.address}".strip(", "))
        calendar.add_component(event)
    return _finish(calendar)


def cohort_feed(cohort: Cohort, *, now: datetime) -> bytes:
    """For admins: the cohort's learning and registration windows, in the cohort's zone."""
    calendar = _calendar(f"Angkatan {cohort.code}")
    start = _event(f"cohort-{cohort.id}-learning-start", f"Jendela belajar {cohort.code} dibuka",
                   cohort.learning_opens_at, cohort.learning_opens_at + timedelta(hours=1), cohort.timezone, now)
    calendar.add_component(start)
    for event in _window_events(f"cohort-{cohort.id}", cohort, cohort.learning_closes_at,
                                cohort.registration_opens_at,
                                cohort.registration_closes_at or cohort.learning_closes_at, cohort.timezone, now):
        calendar.add_component(event)
    return _finish(calendar)
