"""Building blocks for declared operations: the ``Error`` schema, bounded id and text fields, error responses."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from lms.core import idempotency
from lms.core.input import MAX_ID
from lms.core.paging import MAX_CURSOR

#: Standard descriptions of the refusals an operation may declare with ``errors(...)``.
ERROR_DESCRIPTIONS = {
    400: "bad_request: the request cannot be read",
    401: "unauthenticated / invalid_token: no valid session or token",
    403: "forbidden / not_participant / csrf_failed: the account may not do this",
    404: "not_found: no such object for this account",
    409: "not_unlocked and other conflicts: an earlier step is missing",
    413: "too_large: the body is over the size limit",
    422: "invalid: the input does not match the declared schema (errors: {field: message})",
    423: "window_closed: the learning window is not open",
    429: "rate_limited: too many requests",
}


class Error(Schema):
    """Every refusal: a stable ``code``, a message in the request's language and, for input, ``errors``."""

    code = fields.String(required=True)
    message = fields.String(required=True)
    errors = fields.Dict(keys=fields.String(), values=fields.Raw())


def Id(**kwargs) -> fields.Integer:  # noqa: N802 - reads like a field class
    """An id: a strict integer (``"12"`` and ``true`` are refused) within PostgreSQL's ``integer``."""
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def Text(*, max_length: int = 10_000, **kwargs) -> fields.String:  # noqa: N802
    """Free text with an upper bound (the JSON provider already refuses NUL bytes and invalid UTF-8)."""
    return fields.String(validate=validate.Length(max=max_length), **kwargs)


def errors(bp, *statuses: int):
    """Declare the error responses of an operation, each with the ``Error`` schema: ``@errors(bp, 401, 403)``."""
    def decorator(view):
        for status in reversed(statuses):
            view = bp.alt_response(status, schema=Error, description=ERROR_DESCRIPTIONS.get(status, "Error"))(view)
        return view

    return decorator


class IdempotencyHeader(Schema):
    """The ``Idempotency-Key`` header of an operation that a device may send again (``lms.core.idempotency``)."""

    key = fields.String(
        data_key=idempotency.HEADER,
        validate=[validate.Length(min=1, max=idempotency.MAX_KEY_LENGTH), validate.Regexp(r"^[ -~]+$")],
        metadata={"description": "A key made by the client (e.g. a UUID), one per action, 1-200 printable ASCII "
                                 "characters. Repeated within 24 hours by the same user, the action is not done "
                                 "again: the first answer comes back (same status and body, header "
                                 "Idempotent-Replayed: true); the same key with another body is a 422 "
                                 "idempotency_key_reused. A refused request leaves no key behind."})

    def load_plain(self, headers) -> dict | None:
        """No ``Idempotency-Key``: ``load`` would answer ``{}`` (``lms.api.validation.ApiParser``); a key is loaded
        and checked by ``load``."""
        return None if idempotency.HEADER in headers else {}


#: The header sent with a replayed answer, declared on the success response.
REPLAYED_HEADER = {"Idempotent-Replayed": {
    "description": "true when the answer is the stored first answer of this Idempotency-Key",
    "schema": {"type": "string", "enum": ["true"]}}}


#: How every keyset-paged list reads (``lms.core.paging.Keyset``).
KEYSET_PAGING = ("Keyset paging: follow `next` (or pass `next_cursor` as `after`) to read the following page; it is "
                 "found by key through an index, so page 5,000 costs what page 1 costs. `page` without `after` "
                 "still works (read by OFFSET, its cost growing with the page) for clients written before cursors. "
                 "A cursor that was not given by the API is a 422 invalid_cursor.")


def After(**kwargs) -> fields.String:  # noqa: N802
    """The ``after`` query parameter of a keyset-paged list."""
    return fields.String(validate=validate.Length(min=1, max=MAX_CURSOR), metadata={
        "description": "Opaque cursor from `next_cursor`: the page after it. " + KEYSET_PAGING}, **kwargs)


def OffsetPage(*, maximum: int = MAX_ID, **kwargs) -> fields.Integer:  # noqa: N802
    """The ``page`` query parameter of a keyset-paged list: OFFSET without ``after``, a label with it."""
    return fields.Integer(load_default=1, validate=validate.Range(min=1, max=maximum), metadata={
        "description": "Without `after`: the page to read by OFFSET (its cost grows with the page). With `after`: "
                       "only the number given to the page in the answer (the `next` link carries it)."}, **kwargs)


def NextCursor(**kwargs) -> fields.String:  # noqa: N802
    return fields.String(allow_none=True, metadata={
        "description": "Pass as `after` for the next page; null on the last"}, **kwargs)


def NextLink(**kwargs) -> fields.String:  # noqa: N802
    return fields.String(allow_none=True, metadata={
        "description": "URL of the next page (cursor, page number and filters); null on the last"}, **kwargs)
