"""GET /api/v1/me/selection: the logged-in teacher's own determination ("why not me?")."""

from __future__ import annotations

from flask import g
from marshmallow import Schema, fields

from lms.api.auth import api_login_required
from lms.api.blueprint import bp
from lms.api.schemas import errors
from lms.selection.determination import Determination, determination_for


class UnmetRequirement(Schema):
    rule = fields.String(required=True, metadata={"description": "The rule id of the policy (or lainnya)"})
    message = fields.String(required=True)


class MySelection(Schema):
    status = fields.String(required=True, allow_none=True,
                           metadata={"description": "ditetapkan, cadangan, tidak_memenuhi_syarat or dihapus; "
                                                    "null (and no other field) when the account is in no "
                                                    "published run"})
    rank = fields.Integer(allow_none=True, metadata={"description": "Rank in the quota group (eligible only)"})
    quota_group = fields.String(metadata={"description": "Province (2 digits) or kab/kota (4 digits) code"})
    quota = fields.Integer(allow_none=True)
    cut_off_rank = fields.Integer(allow_none=True,
                                  metadata={"description": "The last determined rank in the group now"})
    unmet = fields.List(fields.Nested(UnmetRequirement))
    explanation = fields.String(metadata={"description": "Plain language, in the request's language"})


def selection_json(result: Determination) -> dict:
    if result.status is None:
        return {"status": None}
    return {"status": result.status, "rank": result.rank, "quota_group": result.quota_group,
            "quota": result.quota, "cut_off_rank": result.cut_off_rank,
            "unmet": [{"rule": u.rule, "message": u.message} for u in result.unmet],
            "explanation": result.explanation}


@bp.get("/me/selection")
@bp.doc(tags=["akun"], summary="The logged-in account's own determination in the latest published run")
@api_login_required
@bp.response(200, MySelection)
@errors(bp, 401)
def get_my_selection():
    return selection_json(determination_for(g.api_user.email))
