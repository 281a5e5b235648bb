"""The JSON API under /api/v1: bearer tokens or the browser session, JSON errors, an OpenAPI 3 document.

How to declare an operation (one contract: the same declaration validates the request, shapes the response and
generates ``GET /api/v1/openapi.json``; see ``lms/cohorts/me.py``, ``lms/auth/api.py`` and the progress/post-test
operations in ``lms/modules/api.py``)::

    from marshmallow import Schema, fields, validate
    from lms.api.blueprint import bp              # a flask-smorest Blueprint; lms.auth.bearer authenticates
    from lms.api.schemas import Id, Text, errors  # bounded id / text fields, Error responses

    class AttemptIn(Schema):                      # request body; an unknown field is a 422
        answers = fields.Dict(keys=fields.String(), values=Id(), required=True)

    class AttemptResult(Schema):                  # response; only declared fields are sent
        score = fields.Integer(required=True)

    @bp.post("/posttests/<int:module_id>/attempts")          # <int:...> is bounded to 1..2147483647 (else 404)
    @bp.doc(tags=["belajar"], summary="Submit a practice attempt")
    @api_participant_required                                # access first: a refusal before any parsing
    @bp.arguments(AttemptIn)                                 # body -> first positional argument (a dict)
    @bp.response(201, AttemptResult)                         # the success status and its schema
    @errors(bp, 401, 403, 404, 409, 423)                     # every refusal the operation can answer
    def post_attempt(body: dict, module_id: int):
        result = posttest.submit_attempt(g.enrollment, module, body["answers"], now=now_utc())
        return {"score": result.score}                       # a dict; no jsonify, no db.session.commit()

- Query parameters: ``@bp.arguments(QuerySchema, location="query", as_kwargs=True)`` (unknown ones are ignored);
  path parameters with more than a converter's check: ``@bp.arguments(PathSchema, location="path",
  as_kwargs=True)``.
- A validation failure is ``Invalid``: 422 ``{"code": "invalid", "message", "errors": {"field.sub": "..."}}``,
  translated (``lms.api.validation``); 422 is documented automatically by ``@bp.arguments``.
- Refusals stay ``DomainError`` subclasses raised by services; list their statuses in ``@errors(...)``.
- The view does not commit: ``lms.core.boundary`` commits when the response is < 400 and rolls back otherwise.
- The app factory (``lms/__init__.py``) imports each domain's api module, which attaches its routes to ``bp``;
  this package imports no domain.
- Nothing is described by hand: no hand-written OpenAPI entries and no
  hand-written body parsing.
"""

from __future__ import annotations

from flask import Flask

from lms.api import openapi
from lms.api.blueprint import bp
from lms.extensions import csrf


def register(app: Flask) -> None:
    csrf.exempt(bp)
    openapi.init_api(app)
