"""Declared shapes of the UKPPPG API (SPEC §6: sessions and registrations). Responses are dumped through these
schemas, so a field that is not declared here is not sent."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from lms.api.schemas import Id
from lms.core import idempotency
from lms.ukppg.services import EXPORT_COLUMNS


class UkppgSession(Schema):
    id = fields.Integer(required=True)
    site = fields.String(required=True, metadata={"description": "The exam site (TUK)"})
    site_id = fields.Integer(required=True)
    province = fields.String(required=True, metadata={"description": "2-digit Kemendagri province code"})
    province_name = fields.String(required=True)
    kode_kabkota = fields.String(required=True)
    address = fields.String(required=True)
    date = fields.String(required=True, metadata={"format": "date"})
    start = fields.String(required=True, metadata={"description": "HH:MM, local time of the site"})
    seats = fields.Integer(required=True)
    seats_left = fields.Integer(required=True)


class UkppgSessionList(Schema):
    sessions = fields.List(fields.Nested(UkppgSession), required=True)


class UkppgAdminSession(UkppgSession):
    seats_taken = fields.Integer(required=True)


class UkppgAdminSessionList(Schema):
    sessions = fields.List(fields.Nested(UkppgAdminSession), required=True)


class UkppgRegistration(Schema):
    number = fields.String(required=True, metadata={"description": "UKPPPG-YYYY-NNNNNN"})
    session_id = fields.Integer(required=True)
    session = fields.Nested(UkppgSession, required=True)
    created_at = fields.String(required=True, metadata={"format": "date-time"})


class UkppgCancelled(Schema):
    number = fields.String(required=True)
    cancelled = fields.Boolean(required=True)


class SessionChoice(Schema):
    session_id = Id(required=True, metadata={"description": "An id from GET /ukppg/sessions"})


class IdempotencyHeader(Schema):
    key = fields.String(
        data_key=idempotency.HEADER,
        validate=[validate.Length(min=1, max=idempotency.MAX_KEY_LENGTH),
                  validate.Regexp(r"^[ -~]+$")],
        metadata={"description": "A key of the client's choice (e.g. a UUID), one per registration attempt, "
                                 "1-200 printable ASCII characters. Repeated within 24 hours by the same user, the "
                                 "request is not done again: the first answer comes back (same status and body, "
                                 "header Idempotent-Replayed: true). A refused request leaves no key behind."})


class UkppgExportQuery(Schema):
    cohort = fields.String(validate=validate.Length(max=32), metadata={"description": "A cohort's code"})
    format = fields.String(validate=validate.OneOf(("json", "csv")), load_default="json")


UkppgExportRow = Schema.from_dict({name: fields.String(required=True) for name in EXPORT_COLUMNS},
                                  name="UkppgExportRow")


class UkppgExport(Schema):
    registrations = fields.List(fields.Nested(UkppgExportRow), required=True)
    total = fields.Integer(required=True)


class SitesImported(Schema):
    sites_created = fields.Integer(required=True)
    sessions_created = fields.Integer(required=True)
    sessions_updated = fields.Integer(required=True)
