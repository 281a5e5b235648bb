"""Declared shapes of the selection API (penetapan): runs, a run's list, removal proposals, publication.
Responses are dumped through these schemas, so a field that is not declared here is not sent."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate

from lms.api.schemas import After, Error, NextCursor, NextLink, OffsetPage, Text
from lms.selection.listing import MAX_PER_PAGE, PER_PAGE, PROPOSAL_STATUSES
from lms.selection.models import ENTRY_STATUSES, REMOVAL_REASONS
from lms.selection.removal import NOTE_MAX_LENGTH


class StrictBoolean(fields.Boolean):
    """JSON ``true`` or ``false`` only: ``"true"``, ``1`` and ``"yes"`` are refused, so that no typo decides."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise ValidationError("Not a valid boolean.")
        return value


# --- requests ----------------------------------------------------------------------------------------------------

class PageQuery(Schema):
    page = OffsetPage()
    after = After()
    per_page = fields.Integer(load_default=PER_PAGE, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class EntriesQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(ENTRY_STATUSES))
    kode_kabkota = fields.String(
        validate=validate.Regexp(r"[0-9]{4}\Z", error=_l("Kode kabupaten/kota harus 4 digit.")),
        metadata={"pattern": "^[0-9]{4}$"})


class RemovalsQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(PROPOSAL_STATUSES))


class ProposalIn(Schema):
    reason = fields.String(required=True, validate=validate.OneOf(REMOVAL_REASONS))
    note = Text(max_length=NOTE_MAX_LENGTH, load_default="")


class DecisionIn(Schema):
    approve = StrictBoolean(required=True, metadata={"description": "true approves, false rejects"})
    note = Text(max_length=NOTE_MAX_LENGTH, load_default="")


class PublicationIn(Schema):
    cohort = fields.String(required=True, validate=[validate.Length(min=1, max=32),
                                                    validate.Regexp(r".*\S", error=_l("Wajib diisi."))],
                           metadata={"description": "The code of the cohort to publish to"})
    allow_placeholder = StrictBoolean(load_default=False,
                                      metadata={"description": "needed for a run on a placeholder policy; audited"})


# --- responses ---------------------------------------------------------------------------------------------------

class Run(Schema):
    id = fields.Integer(required=True)
    policy = fields.String(required=True)
    input_hash = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "running | done | failed"})
    params = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), required=True,
                         metadata={"description": "pool, pool_id, quota, total, as_of, placeholder_policy"})
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                         metadata={"description": "candidates per status, as they are now"})
    created_at = fields.String(required=True, metadata={"format": "date-time"})
    published_cohort = fields.String(required=True, allow_none=True)
    published_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    error_count = fields.Integer(required=True)
    failure_reason = fields.String(required=True, allow_none=True,
                                   metadata={"description": "why the run failed on an unexpected error"})
    placeholder_policy = fields.Boolean(required=True,
                                        metadata={"description": "built on stand-in (non-official) policy data"})


class RunList(Schema):
    runs = fields.List(fields.Nested(Run), required=True)


class Quota(Schema):
    quota_group = fields.String(required=True)
    quota = fields.Integer(required=True)
    eligible = fields.Integer(required=True)


class LineErrors(Schema):
    line = fields.Integer(required=True)
    reasons = fields.List(fields.String(), required=True)


class RunDetail(Run):
    quotas = fields.List(fields.Nested(Quota), required=True)
    errors = fields.List(fields.Nested(LineErrors), required=True,
                         metadata={"description": "malformed or duplicate pool lines of a failed run"})


class Paged(Schema):
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)
    pages = fields.Integer(required=True)
    next_cursor = NextCursor(required=True)
    next = NextLink(required=True)


class Entry(Schema):
    id = fields.Integer(required=True)
    run_id = fields.Integer(required=True)
    line = fields.Integer(required=True)
    rank = fields.Integer(required=True, allow_none=True)
    nama = fields.String(required=True)
    kode_kabkota = fields.String(required=True)
    quota_group = fields.String(required=True)
    status = fields.String(required=True)
    alasan = fields.String(required=True)
    pending_proposal_id = fields.Integer(required=True, allow_none=True)
    nik_masked = fields.String(allow_none=True, metadata={"description": "dinas and LPMP only"})


class EntryPage(Paged):
    run_id = fields.Integer(required=True)
    entries = fields.List(fields.Nested(Entry), required=True)


class Proposal(Schema):
    id = fields.Integer(required=True)
    entry_id = fields.Integer(required=True)
    run_id = fields.Integer(required=True)
    nama = fields.String(required=True)
    kode_kabkota = fields.String(required=True)
    entry_status = fields.String(required=True)
    reason = fields.String(required=True)
    reason_label = fields.String(required=True)
    note = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "diajukan | disetujui | ditolak"})
    proposed_by = fields.String(required=True, allow_none=True)
    proposed_at = fields.String(required=True, metadata={"format": "date-time"})
    decided_by = fields.String(required=True, allow_none=True)
    decided_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    decision_note = fields.String(required=True)
    promoted_entry_id = fields.Integer(required=True, allow_none=True)
    promoted_nama = fields.String(required=True, allow_none=True)


class ProposalPage(Paged):
    removals = fields.List(fields.Nested(Proposal), required=True)


class Publication(Schema):
    run_id = fields.Integer(required=True)
    cohort = fields.String(required=True)
    import_id = fields.Integer(required=True)
    status = fields.String(required=True)
    stats = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True)
    placeholder_policy = fields.Boolean(required=True)


class PublicationFailed(Error):
    """422: ``invalid`` (the body, or the run is not done), or ``roster_import_failed``, which also carries the
    publication's fields: the roster import refused the list, and the import job tells which rows."""

    run_id = fields.Integer()
    cohort = fields.String()
    import_id = fields.Integer()
    status = fields.String()
    stats = fields.Dict(keys=fields.String(), values=fields.Raw())
    placeholder_policy = fields.Boolean()
