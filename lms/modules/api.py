"""Learning API: progress, materi, post-tests, journals (SPEC §6 shapes)."""

from __future__ import annotations

from flask import g, jsonify, request

from lms.api.blueprint import bp
from lms.api.openapi import document
from lms.api.participant import api_participant_required
from lms.api.schemas import errors
from lms.core.errors import Invalid
from lms.core.time import now_utc
from lms.extensions import db
from lms.journal import services as journal
from lms.modules import schemas
from lms.modules import services as modules
from lms.modules.progress import compute_progress
from lms.modules.serialize import progress_json, progress_response
from lms.posttest import services as posttest

_ERRORS = {
    "401": {"$ref": "#/components/responses/Unauthenticated"},
    "403": {"description": "not_participant: no active cohort", "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Error"}}}},
}
_LOCKED = {"409": {"description": "not_unlocked: an earlier part is not done yet"},
           "423": {"description": "window_closed: the learning window is not open"}}
_MODULE = [{"name": "module_id", "in": "path", "required": True, "schema": {"type": "integer"}}]


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Invalid(details={"body": "expected a JSON object"})
    return body


_LEARNING_ERRORS = (401, 403, 404, 409, 423)


@bp.get("/me/progress")
@bp.doc(tags=["belajar"], summary="The participant's progress")
@api_participant_required
@bp.response(200, schemas.Progress)
@errors(bp, 401, 403)
def get_progress():
    return progress_response(g.enrollment, compute_progress(g.enrollment), now_utc())  # prepared: no schema dump


@bp.post("/materi/<int:materi_id>/complete")
@bp.doc(tags=["belajar"], summary="Mark a materi done; answers the new progress")
@api_participant_required
@bp.response(200, schemas.MateriDone)
@errors(bp, *_LEARNING_ERRORS)
def complete_materi(materi_id: int):
    now = now_utc()
    materi = modules.get_materi(g.enrollment, materi_id)
    progress = modules.complete_materi(g.enrollment, materi, now=now)
    return {"materi_id": materi_id, "done": True, "progress": progress_json(g.enrollment, progress, now)}


@bp.get("/posttests/<int:module_id>")
@bp.doc(tags=["belajar"], summary="Post-test questions (without answers)")
@api_participant_required
@bp.response(200, schemas.Posttest)
@errors(bp, *_LEARNING_ERRORS)
def get_posttest(module_id: int):
    now = now_utc()
    module = modules.get_module(g.enrollment, module_id)
    posttest.check_posttest_open(g.enrollment, module, now=now)
    questions = posttest.questions_for(module)
    return {"module_id": module.id, "practice": True, "questions": [
        {"id": q.id, "number": q.position, "text": q.text,
         "options": [{"id": o.id, "text": o.text} for o in q.options]} for q in questions]}


@bp.post("/posttests/<int:module_id>/attempts")
@bp.doc(tags=["belajar"], summary="Submit a practice attempt; answers the score and feedback")
@api_participant_required
@bp.arguments(schemas.AttemptIn)
@bp.response(201, schemas.AttemptResult)
@errors(bp, *_LEARNING_ERRORS)
def post_attempt(body: dict, module_id: int):
    now = now_utc()
    module = modules.get_module(g.enrollment, module_id)
    result = posttest.submit_attempt(g.enrollment, module, body["answers"], now=now)
    return {"attempt_id": result.attempt.id, "score": result.score, "max_score": result.max_score, "practice": True,
            "feedback": [{"question_id": f.question_id, "correct": f.correct, "chosen_option_id": f.chosen_option_id,
                          "correct_option_id": f.correct_option_id, "explanation": f.explanation}
                         for f in result.feedback]}


def _journal_json(view: journal.JournalView) -> dict:
    return {"prompts": [{"id": p.id, "text": p.text, "min_length": p.min_length} for p in view.prompts],
            "answers": view.answers, "status": view.status,
            "version": view.entry.version if view.entry else 0,
            "has_unsubmitted_changes": view.has_unsubmitted_changes,
            "updated_at": view.entry.updated_at.isoformat() if view.entry else None}


document("/journals/{module_id}", "get", summary="The module's journal: prompts and the saved answers",
         tag="belajar", parameters=_MODULE, responses={"200": {"description": "Journal"}, **_ERRORS, **_LOCKED})


@bp.get("/journals/<int:module_id>")
@api_participant_required
def get_journal(module_id: int):
    module = modules.get_module(g.enrollment, module_id)
    return jsonify(_journal_json(journal.get_journal(g.enrollment, module, now=now_utc())))


document("/journals/{module_id}", "put", summary="Save a draft, or submit", tag="belajar", parameters=_MODULE,
         request_body={"required": True, "content": {"application/json": {"schema": {
             "type": "object", "required": ["answers"],
             "properties": {"answers": {"type": "object", "additionalProperties": {"type": "string"}},
                            "submit": {"type": "boolean"}, "version": {"type": "integer"}}}}}},
         responses={"200": {"description": "Saved"},
                    "422": {"description": "invalid: an answer is shorter than its minimum (the draft is saved)"},
                    **_ERRORS, **_LOCKED})


@bp.put("/journals/<int:module_id>")
@api_participant_required
def put_journal(module_id: int):
    body = _json_body()
    version = body.get("version")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise Invalid(details={"version": "integer"})
    module = modules.get_module(g.enrollment, module_id)
    submit = body.get("submit", False)
    if not isinstance(submit, bool):
        raise Invalid(details={"submit": "boolean"})
    # Without "answers", a submission submits the saved draft as it is.
    result = journal.save_journal(g.enrollment, module, body.get("answers", {}), submit=submit,
                                  now=now_utc(), version=version)
    db.session.commit()  # the draft is kept even when the submission is refused
    payload = _journal_json(result.view)
    if result.errors:
        return jsonify({"code": "invalid", "message": str(Invalid.message), "errors": result.errors,
                        "draft_saved": True, **payload}), 422
    return jsonify(payload)
