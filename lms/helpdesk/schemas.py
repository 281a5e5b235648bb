"""Declared shapes of the Pusat Bantuan API: the ticket form (multipart, with the screenshot), the queue's query,
replies, the re-point preview and move. Lengths match the database columns; content rules (a valid NIK, a
belajar.id account, a real image) stay in the services, which report every problem of a form at once."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.datastructures import FileStorage

from lms.api.schemas import After, Id, NextCursor, NextLink, OffsetPage
from lms.core.input import MAX_ID
from lms.helpdesk.models import CATEGORIES, MAX_ACCOUNT, MAX_NAME, MAX_SCHOOL, MAX_TEXT, STATUSES


class Screenshot(Upload):
    """A file part (not a text field of the same name); its content is judged by ``services.check_screenshot``."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, FileStorage):
            raise ValidationError(str(_l("Kirim tangkapan layar sebagai berkas.")))
        return value


class TicketForm(Schema):
    category = fields.String(required=True, validate=validate.Length(max=24), metadata={"enum": list(CATEGORIES)})
    full_name = fields.String(required=True, validate=validate.Length(max=MAX_NAME))
    nik = fields.String(required=True, validate=validate.Length(max=64), metadata={"description": "16 digits"})
    belajar_id_account = fields.String(required=True, validate=validate.Length(max=MAX_ACCOUNT),
                                       metadata={"description": "The reporter's belajar.id e-mail"})
    satuan_pendidikan = fields.String(required=True, validate=validate.Length(max=MAX_SCHOOL))
    description = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))
    screenshot = Screenshot(required=True, metadata={
        "description": "The SIMPKB invitation: a PNG, JPEG or WebP image of at most 5 MB (judged by its content)"})


class TicketMessage(Schema):
    id = fields.Integer(required=True)
    from_helpdesk = fields.Boolean(required=True)
    body = fields.String(required=True)
    created_at = fields.String(required=True, metadata={"format": "date-time"})


class RosterMatch(Schema):
    entry_id = fields.Integer(required=True)
    cohort = fields.String(required=True)
    email = fields.String(required=True)


class Ticket(Schema):
    id = fields.Integer(required=True)
    category = fields.String(required=True, metadata={"enum": list(CATEGORIES)})
    status = fields.String(required=True, metadata={"enum": list(STATUSES)})
    full_name = fields.String(required=True)
    belajar_id_account = fields.String(required=True)
    satuan_pendidikan = fields.String(required=True)
    description = fields.String(required=True)
    created_at = fields.String(required=True, metadata={"format": "date-time"})
    updated_at = fields.String(required=True, metadata={"format": "date-time"})
    reporter = fields.String(metadata={"description": "Agents only: the reporter's account"})
    roster = fields.List(fields.Nested(RosterMatch), metadata={"description": "Agents only: the NIK's roster entries"})
    messages = fields.List(fields.Nested(TicketMessage), metadata={"description": "The thread, oldest first"})


class TicketList(Schema):
    tickets = fields.List(fields.Nested(Ticket), required=True)
    total = fields.Integer(metadata={"description": "Agents' queue only: all matching tickets"})
    page = fields.Integer(metadata={"description": "Agents' queue only: the number of this page"})
    next_cursor = NextCursor()
    next = NextLink()


class TicketQuery(Schema):
    all = fields.Boolean(load_default=False, metadata={"description": "Agents: the whole queue"})
    status = fields.String(validate=validate.OneOf(STATUSES))
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    q = fields.String(load_default="", validate=validate.Length(max=MAX_ACCOUNT))
    page = OffsetPage(maximum=100_000)
    after = After()


class TicketReply(Schema):
    body = fields.String(required=True, validate=validate.Length(max=MAX_TEXT))
    status = fields.String(validate=validate.OneOf(STATUSES), metadata={"description": "Agents only"})


class RepointQuery(Schema):
    entry_id = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_ID))
    email = fields.String(required=True, validate=validate.Length(max=MAX_ACCOUNT))


class RepointIn(Schema):
    entry_id = Id(required=True)
    email = fields.String(required=True, validate=validate.Length(max=MAX_ACCOUNT))
    dry_run = fields.Boolean(load_default=False, metadata={"description": "Only the preview"})
    confirm = fields.Boolean(load_default=False)
    fingerprint = fields.String(load_default=None, validate=validate.Length(max=64),
                                metadata={"description": "The preview's fingerprint, with confirm"})


class RepointExamSeat(Schema):
    number = fields.String(required=True, allow_none=True)
    session_id = fields.Integer(required=True)
    site = fields.String(required=True)
    date = fields.String(required=True, metadata={"format": "date"})
    start = fields.String(required=True)


class RepointPreview(Schema):
    entry_id = fields.Integer(required=True)
    cohort = fields.String(required=True)
    cohort_name = fields.String(required=True)
    programme_year = fields.Integer(required=True)
    old_email = fields.String(required=True)
    new_email = fields.String(required=True)
    new_account_exists = fields.Boolean(required=True)
    enrollment_id = fields.Integer(required=True, allow_none=True)
    status = fields.String(required=True, allow_none=True)
    percent = fields.Integer(required=True)
    parts_done = fields.Integer(required=True)
    parts_total = fields.Integer(required=True)
    complete = fields.Boolean(required=True)
    registration = fields.Nested(RepointExamSeat, required=True, allow_none=True)
    fingerprint = fields.String(required=True)


class RepointPreviewOut(Schema):
    preview = fields.Nested(RepointPreview, required=True)


class RepointAnswer(Schema):
    """With ``dry_run``: ``preview`` only. Confirmed: what moved (``entry_id``, ``email``, ``ticket_status``,
    ``moved``)."""

    preview = fields.Nested(RepointPreview)
    entry_id = fields.Integer()
    email = fields.String()
    ticket_status = fields.String()
    moved = fields.Nested(RepointPreview)
