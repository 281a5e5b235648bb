"""Declared shapes of the cohort administration API (SPEC §6). Requests are checked for their shape here; the rules
of a cohort (code, name, year, time zone) are the service's own functions, called by these validators as by the
admin page, so that the same input is refused with the same words on both."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from lms.admin import reports
from lms.api.schemas import Text
from lms.cohorts import services as cohorts
from lms.cohorts.models import STATUSES
from lms.core.regions import WIB

#: The highest page a listing answers; beyond it the request is refused (the offset stays a small number).
MAX_PAGE = 100_000


def rule(problem):
    """A marshmallow validator from a service rule returning the problem's message (or ``None``)."""
    def check(value) -> None:
        if message := problem(value):
            raise ValidationError(message)

    return check


#: The years the service accepts, declared in the document (the service's own rule gives the message).
_YEAR = {"minimum": cohorts.FIRST_YEAR, "maximum": cohorts.LAST_YEAR}
_NAME = {"minLength": 1, "maxLength": 200}


def _date(description: str = "ISO date (YYYY-MM-DD), a whole local day", **kwargs) -> fields.Date:
    return fields.Date(metadata={"description": description}, **kwargs)


class CohortPatch(Schema):
    """Every field optional; what is sent replaces the cohort's value."""

    name = fields.String(validate=rule(cohorts.name_problem), metadata=_NAME)
    programme_year = fields.Integer(strict=True, validate=rule(cohorts.year_problem), metadata=_YEAR)
    learning_start = _date()
    learning_end = _date()
    registration_start = _date(allow_none=True)
    registration_end = _date(allow_none=True)
    timezone = fields.String(validate=rule(cohorts.timezone_problem),
                             metadata={"enum": list(cohorts.TIMEZONES)})
    curriculum = Text(max_length=40, allow_none=True, metadata={"description": "A curriculum's code"})


class CohortIn(CohortPatch):
    code = fields.String(required=True, validate=rule(cohorts.code_problem),
                         metadata={"pattern": cohorts.CODE_PATTERN.pattern, "maxLength": 32})
    name = fields.String(required=True, validate=rule(cohorts.name_problem), metadata=_NAME)
    programme_year = fields.Integer(strict=True, required=True, validate=rule(cohorts.year_problem), metadata=_YEAR)
    learning_start = _date(required=True)
    learning_end = _date(required=True)
    timezone = fields.String(load_default=WIB, validate=rule(cohorts.timezone_problem),
                             metadata={"enum": list(cohorts.TIMEZONES)})


class CohortOut(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    programme_year = fields.Integer(required=True)
    timezone = fields.String(required=True)
    learning_start = fields.Date(required=True)
    learning_end = fields.Date(required=True)
    registration_start = fields.Date(required=True, allow_none=True)
    registration_end = fields.Date(required=True, allow_none=True)
    learning_opens_at = fields.String(required=True, metadata={"format": "date-time"})
    learning_closes_at = fields.String(required=True, metadata={"format": "date-time"})
    registration_closed_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    curriculum = fields.String(required=True, allow_none=True)
    participants = fields.Integer(metadata={"description": "Enrollments in the cohort"})


class CohortList(Schema):
    cohorts = fields.List(fields.Nested(CohortOut), required=True)


_PAGING = ("Keyset paging: follow `next` (or pass `next_cursor` as `after`) to read the following page; it is "
           "found by key through the e-mail index, so page 5,000 costs what page 1 costs. `page` without `after` "
           "still works (read by offset, its cost growing with the page) for clients written before cursors.")


class EnrollmentsQuery(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE), metadata={
        "description": "Without `after`: the page to read by offset. With `after`: only the number given to the "
                       "page in the answer (the `next` link carries it)."})
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    after = fields.String(validate=validate.Length(min=1, max=600), metadata={
        "description": "Opaque cursor from `next_cursor`: the page after it. " + _PAGING})
    output = fields.String(data_key="format", load_default="json", validate=validate.OneOf(("json", "csv")),
                           metadata={"description": "csv: every participant matching `status`, with their "
                                                    "progress, streamed (no paging)"})


class EnrollmentRow(Schema):
    email = fields.String(required=True)
    name = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": list(STATUSES)})
    kode_kabkota = fields.String(required=True, allow_none=True)
    completed_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    extended_until = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})


class EnrollmentPage(Schema):
    cohort = fields.String(required=True)
    status = fields.String(required=True, allow_none=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)
    pages = fields.Integer(required=True)
    enrollments = fields.List(fields.Nested(EnrollmentRow), required=True)
    items = fields.List(fields.Nested(EnrollmentRow), required=True, metadata={"description": "= enrollments"})
    next_cursor = fields.String(required=True, allow_none=True,
                                metadata={"description": "Pass as `after` for the next page; null on the last"})
    next = fields.String(required=True, allow_none=True,
                         metadata={"description": "URL of the next page (cursor, page number and filters); null "
                                                  "on the last"})


class RosterQuery(Schema):
    filename = fields.String(load_default="roster.csv", validate=validate.Length(min=1, max=255))


class RowError(Schema):
    line = fields.Integer(required=True)
    reason = fields.String(required=True)


class RosterJob(Schema):
    id = fields.Integer(required=True)
    cohort = fields.String(required=True)
    filename = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["queued", "running", "done", "failed"]})
    rows_read = fields.Integer(required=True)
    rows_total = fields.Integer(required=True, allow_none=True)
    error_count = fields.Integer(required=True)
    stats = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True)
    file_error = fields.String(required=True, allow_none=True)
    created_at = fields.String(required=True, metadata={"format": "date-time"})
    finished_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    errors = fields.List(fields.Nested(RowError), metadata={"description": "A failed import's bad rows"})
    errors_truncated = fields.Boolean()


class RosterDone(RosterJob):
    import_ = fields.Nested(RosterJob, data_key="import", attribute="import", required=True)


class RosterRefused(Schema):
    """422: the file's bad rows by line (``errors`` a list, with ``import``), or a bad request (``errors`` by field)."""

    code = fields.String(required=True)
    message = fields.String(required=True)
    errors = fields.Raw(metadata={"description": "[{line, reason}] for the file's rows, else {field: message}"})
    import_ = fields.Nested(RosterJob, data_key="import", attribute="import")


class ExtensionIn(Schema):
    email = fields.String(required=True, validate=validate.Length(max=320))
    until = _date("The last day of the personal window (inclusive)", required=True)
    reason = fields.String(required=True, validate=validate.Length(max=500))


class ExtensionOut(Schema):
    email = fields.String(required=True)
    until = fields.String(required=True, metadata={"format": "date-time", "description": "exclusive end instant"})
    reason = fields.String(required=True)
    status = fields.String(required=True)
    granted_at = fields.String(required=True, metadata={"format": "date-time"})


def school_cursor() -> fields.String:
    return fields.String(validate=validate.Regexp(reports.SCHOOL_CURSOR), metadata={"description": (
        f"group=school only: the report by school comes in pages of {reports.SCHOOLS_PER_PAGE} schools in NPSN "
        "order; pass the previous answer's next_cursor (the last NPSN shown) to read the next page. "
        "The CSV export (format=csv) holds every school.")})


class ProgressQuery(Schema):
    group = fields.String(load_default="province", validate=validate.OneOf(reports.GROUPS))
    after = school_cursor()
    output = fields.String(data_key="format", load_default="json", validate=validate.OneOf(("json", "csv")))


class ProgressRow(Schema):
    key = fields.String(required=True, allow_none=True)
    name = fields.String(required=True, allow_none=True)
    participants = fields.Integer(required=True)
    menunggu = fields.Integer(required=True)
    aktif = fields.Integer(required=True)
    tuntas = fields.Integer(required=True)
    tidak_tuntas = fields.Integer(required=True)
    complete = fields.Integer(required=True)
    average_percent = fields.Float(required=True)


class ProgressReport(Schema):
    cohort = fields.String(required=True)
    group = fields.String(required=True)
    rows = fields.List(fields.Nested(ProgressRow), required=True)
    next_cursor = fields.String(allow_none=True, metadata={"description": "group=school: the next page's after"})
    next = fields.String(allow_none=True, metadata={"description": "group=school: the next page's address"})
