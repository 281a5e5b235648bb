"""The registration rush's write on PostgreSQL: the seat, the registration, its number and its audit row in one
statement.

``register`` (``lms.ukppg.services``) keeps the rule; this is its statement. Data-modifying CTEs, in order of use:

1. ``seat``: the conditional ``UPDATE`` that takes a seat only while one is left and the session has not passed
   (``seats_taken < seats AND date >= :today``), so two participants can never hold the last seat;
2. ``ids``: a registration id from the table's sequence, drawn only for a seat taken (the CTE holds a volatile
   function, so PostgreSQL materializes it: one value, read twice);
3. ``reg``: the registration ``INSERT`` with its readable number ``UKPPPG-{year}-{id:06d}`` built from that id (no
   second statement to write it); the partial unique index on active registrations refuses a second one for the
   participant, which fails the whole statement, the seat with it;
4. ``audit``: the audit row (``lms.core.audit``'s columns, the same data as ``audit.record``).

It returns one row (the session, its site, the registration's id and number) when a seat was taken, and no row
otherwise: then nothing was written, the caller reads why (missing, past or full), and the request boundary ends the
refusal with a COMMIT (no row changed), keeping the connection's prepared statements.

SQLite has no data-modifying CTEs; there the service runs the same steps as separate statements.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, String, Time, bindparam, text

from lms.core.db import UTCDateTime

_REGISTER = text("""
WITH seat AS (
    UPDATE exam_sessions SET seats_taken = seats_taken + 1
    WHERE id = :session_id AND seats_taken < seats AND date >= :today
    RETURNING id, site_id, date, start, seats, seats_taken
), ids AS (
    SELECT nextval(pg_get_serial_sequence('ukppg_registrations', 'id')) AS id, seat.id AS session_id FROM seat
), reg AS (
    INSERT INTO ukppg_registrations (id, enrollment_id, session_id, number, created_at)
    SELECT ids.id, :enrollment_id, ids.session_id,
           :prefix || CASE WHEN ids.id < 1000000 THEN lpad(ids.id::text, 6, '0') ELSE ids.id::text END, :now
    FROM ids
    RETURNING id, number
), audit AS (
    INSERT INTO audit_events (at, actor_id, action, subject_type, subject_id, data)
    SELECT :now, :actor_id, 'ukppg.register', 'registration', reg.id::text,
           json_build_object('session_id', CAST(:session_id AS integer), 'number', reg.number)
    FROM reg
)
SELECT seat.id, seat.site_id, seat.date, seat.start, seat.seats, seat.seats_taken,
       site.id AS site_pk, site.name, site.province, site.kode_kabkota, site.address, reg.id AS registration_id,
       reg.number
FROM seat JOIN reg ON true JOIN exam_sites AS site ON site.id = seat.site_id
""").bindparams(bindparam("session_id", type_=Integer), bindparam("today", type_=Date),
                bindparam("enrollment_id", type_=Integer), bindparam("actor_id", type_=Integer),
                bindparam("prefix", type_=String), bindparam("now", type_=UTCDateTime())).columns(
    date=Date, start=Time)

#: Why no seat was taken: the session's day, if the session exists.
_SESSION_DAY = text("SELECT date FROM exam_sessions WHERE id = :session_id").bindparams(
    bindparam("session_id", type_=Integer)).columns(date=Date)


def take_seat_and_register(connection, *, session_id: int, today: date, enrollment_id: int, actor_id: int,
                           prefix: str, now: datetime):
    """The row of the session, its site and the new registration; None when no seat was taken (nothing written)."""
    return connection.execute(_REGISTER, {"session_id": session_id, "today": today, "enrollment_id": enrollment_id,
                                          "actor_id": actor_id, "prefix": prefix, "now": now}).first()


def session_day(connection, session_id: int) -> date | None:
    return connection.execute(_SESSION_DAY, {"session_id": session_id}).scalar()
