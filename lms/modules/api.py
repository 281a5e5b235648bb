"""Learning API: progress, materi, post-tests, journals (SPEC §6 shapes)."""

from __future__ import annotations

from flask import current_app, g, make_response, request
from werkzeug.exceptions import HTTPException

from lms.api.blueprint import bp
from lms.api.schemas import REPLAYED_HEADER, Error, IdempotencyHeader, errors
from lms.cohorts.participant import api_participant_required
from lms.core import idempotency
from lms.core.boundary import keep_writes_on_refusal, one_statement_write, reads_only
from lms.core.errors import Invalid
from lms.core.time import now_utc
from lms.journal import services as journal
from lms.learning import services as learning
from lms.modules import schemas
from lms.modules import services as modules
from lms.modules.progress import compute_progress
from lms.modules.serialize import progress_json, progress_response
from lms.posttest import services as posttest

_LEARNING_ERRORS = (401, 403, 404, 409, 423)
_KEY_REUSED = "invalid / idempotency_key_reused (the Idempotency-Key was sent with another body)"


def _once(key: str | None, scope: str, payload, now, action):
    """Run ``action`` once per Idempotency-Key (``lms.core.idempotency``): (answer, headers of the response)."""
    answer, replayed = idempotency.run_once(g.enrollment.user_id, key, scope=scope, payload=payload, now=now,
                                            action=action)
    return answer, ({"Idempotent-Replayed": "true"} if replayed else {})


@bp.get("/me/progress")
@reads_only
@bp.doc(tags=["belajar"], summary="The participant's progress")
@api_participant_required
@bp.response(200, schemas.Progress)
@errors(bp, 401, 403)
def get_progress():
    return progress_response(g.enrollment, compute_progress(g.enrollment), now_utc())  # prepared: no schema dump


@bp.post("/materi/<int:materi_id>/complete")
@bp.doc(tags=["belajar"], summary="Mark a materi done; answers the new progress")
@api_participant_required
@bp.arguments(IdempotencyHeader, location="headers", as_kwargs=True)
@bp.response(200, schemas.MateriDone, headers=REPLAYED_HEADER)
@errors(bp, *_LEARNING_ERRORS)
@bp.alt_response(422, schema=Error, description=_KEY_REUSED)
def complete_materi(materi_id: int, key: str | None = None):
    now = now_utc()
    materi = modules.get_materi(g.enrollment, materi_id)

    def complete() -> idempotency.Answer:
        progress = modules.complete_materi(g.enrollment, materi, now=now)
        return idempotency.Answer(200, {"materi_id": materi_id, "done": True,
                                        "progress": progress_json(g.enrollment, progress, now)})

    answer, headers = _once(key, "learning.complete_materi", {"materi_id": materi_id}, now, complete)
    return answer.body, answer.status, headers


@bp.get("/posttests/<int:module_id>")
@bp.doc(tags=["belajar"], summary="Post-test questions (without answers)")
@api_participant_required
@bp.response(200, schemas.Posttest)
@errors(bp, *_LEARNING_ERRORS)
def get_posttest(module_id: int):
    now = now_utc()
    module = learning.get_module(g.enrollment, module_id)
    posttest.check_posttest_open(g.enrollment, module, now=now)
    questions = posttest.questions_for(module)
    return {"module_id": module.id, "practice": True, "questions": [
        {"id": q.id, "number": q.position, "text": q.text,
         "options": [{"id": o.id, "text": o.text} for o in q.options]} for q in questions]}


@bp.post("/posttests/<int:module_id>/attempts")
@bp.doc(tags=["belajar"], summary="Submit a practice attempt; answers the score and feedback")
@api_participant_required
@bp.arguments(schemas.AttemptIn)
@bp.arguments(IdempotencyHeader, location="headers", as_kwargs=True)
@bp.response(201, schemas.AttemptResult, headers=REPLAYED_HEADER)
@errors(bp, *_LEARNING_ERRORS)
@bp.alt_response(422, schema=Error, description=_KEY_REUSED)
def post_attempt(body: dict, module_id: int, key: str | None = None):
    now = now_utc()
    module = learning.get_module(g.enrollment, module_id)
    answer, headers = _once(key, "posttest.attempt", {"module_id": module_id, **body}, now,
                            lambda: idempotency.Answer(201, _attempt_json(posttest.submit_attempt(
                                g.enrollment, module, body["answers"], now=now))))
    return answer.body, answer.status, headers


def _attempt_json(result: posttest.AttemptResult) -> dict:
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


@bp.get("/journals/<int:module_id>")
@bp.doc(tags=["belajar"], summary="The module's journal: prompts and the saved answers")
@api_participant_required
@bp.response(200, schemas.Journal)
@errors(bp, *_LEARNING_ERRORS)
def get_journal(module_id: int):
    module = learning.get_module(g.enrollment, module_id)
    return _journal_json(journal.get_journal(g.enrollment, module, now=now_utc()))


def _plain_autosave() -> bool:
    """A draft autosave (``submit`` absent or false) without an Idempotency-Key, where the journal saves a draft in
    one statement: its request runs in autocommit (``one_statement_write``). A key's claim, a submission and a body
    that does not parse keep the transaction (the view refuses the last as it always does)."""
    if request.headers.get(idempotency.HEADER) is not None:
        return False
    try:
        body = request.get_json(silent=True)  # parsed once: the view's arguments read the same cached value
    except (Invalid, HTTPException):  # refused by the view, in its turn (after who is asking), as before
        return False
    return type(body) is dict and body.get("submit", False) is False and journal.draft_in_one_statement()


@bp.put("/journals/<int:module_id>")
@one_statement_write(_plain_autosave)
@bp.doc(tags=["belajar"], summary="Save a draft, or submit",
        description="409 `version_conflict`: the journal was saved since `version` (nothing written). "
                    "422 with `draft_saved: true`: a submission with too-short answers; the draft is saved.")
@api_participant_required
@bp.arguments(schemas.JournalIn())  # instances: parsed without building a schema per request
@bp.arguments(IdempotencyHeader(), location="headers", as_kwargs=True)
@bp.response(200, schemas.Journal, headers=REPLAYED_HEADER)
@errors(bp, 401, 403, 404, 423)
@bp.alt_response(409, schema=Error, description="not_unlocked: the post-test is not done yet; version_conflict: "
                 "the journal was saved since the version sent (nothing written)")
@bp.alt_response(422, schema=schemas.JournalRefused, description="invalid: the input does not match the schema "
                 "(nothing saved), or a submitted answer is under its minimum length (the draft is saved); "
                 "idempotency_key_reused: the Idempotency-Key was sent with another body")
def put_journal(body: dict, module_id: int, key: str | None = None):
    now = now_utc()
    submit = body["submit"]
    module = learning.get_module(g.enrollment, module_id) if submit else None  # a draft needs no Module row

    def save() -> idempotency.Answer:
        if submit:
            result = journal.save_journal(g.enrollment, module, body["answers"], submit=True, now=now,
                                          version=body.get("version"))
        else:
            result = journal.save_draft(g.enrollment, module_id, body["answers"], now=now,
                                        version=body.get("version"))
        payload = _journal_json(result.view)
        if not result.errors:
            return idempotency.Answer(200, payload)
        keep_writes_on_refusal()  # the draft is kept although the submission is refused
        refusal = {"code": Invalid.code, "message": str(Invalid.message), "errors": result.errors,
                   "draft_saved": True, **payload}
        return idempotency.Answer(422, schemas.JournalRefused().dump(refusal))

    answer, headers = _once(key, "journal.save", {"module_id": module_id, **body}, now, save)
    if answer.status == 422:
        return make_response(answer.body, 422, headers)
    # Prepared: ``_journal_json`` emits exactly the fields of ``schemas.Journal`` (which still declares the answer),
    # so the schema's dump would only copy it (tests/journal/test_journal.py compares the two).
    response = current_app.json.response(answer.body)
    response.status_code = answer.status
    response.headers.update(headers)
    return response
