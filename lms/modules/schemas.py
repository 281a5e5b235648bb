"""Declared shapes of the learning API (SPEC §6): progress, materi, post-tests, journals. Responses are dumped
through these schemas, so a field that is not declared here is not sent."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from lms.api.schemas import Error
from lms.core.input import MAX_ID
from lms.journal.models import MAX_ANSWER_LENGTH


class CohortProgress(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    learning_start = fields.String(required=True, metadata={"format": "date"})
    learning_end = fields.String(required=True, metadata={"format": "date"})
    timezone = fields.String(required=True)
    open = fields.Boolean(required=True)
    window = fields.String(required=True, metadata={"description": "before | open | closed"})
    closes_at = fields.String(required=True, metadata={"format": "date-time"})
    extended = fields.Boolean(required=True)


class MateriState(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    done = fields.Boolean(required=True)
    minutes = fields.Integer(required=True, allow_none=True)


class PosttestState(Schema):
    done = fields.Boolean(required=True)
    attempts = fields.Integer(required=True)
    unlocked = fields.Boolean(required=True)
    best_score = fields.Integer(required=True, allow_none=True)
    max_score = fields.Integer(required=True, allow_none=True)


class JournalState(Schema):
    done = fields.Boolean(required=True)
    status = fields.String(required=True, metadata={"description": "empty | draft | submitted"})
    unlocked = fields.Boolean(required=True)


class ModuleProgress(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    title = fields.String(required=True)
    unlocked = fields.Boolean(required=True)
    complete = fields.Boolean(required=True)
    materi = fields.List(fields.Nested(MateriState), required=True)
    posttest = fields.Nested(PosttestState, required=True)
    journal = fields.Nested(JournalState, required=True)


class NextStep(Schema):
    kind = fields.String(required=True, metadata={"description": "materi | posttest | journal | register | done"})
    module_id = fields.Integer(required=True, allow_none=True)
    materi_id = fields.Integer(required=True, allow_none=True)


class ExamRegistration(Schema):
    number = fields.String(required=True)
    session_id = fields.Integer(required=True)
    site = fields.String(required=True)
    date = fields.String(required=True, metadata={"format": "date"})
    start = fields.String(required=True, metadata={"description": "HH:MM"})


class RegistrationState(Schema):
    eligible = fields.Boolean(required=True)
    open = fields.Boolean(required=True)
    window_open = fields.Boolean(required=True)
    registered = fields.Boolean(required=True)
    opens_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    closes_at = fields.String(required=True, metadata={"format": "date-time"})
    not_yet_open = fields.Boolean(required=True)
    registration = fields.Nested(ExamRegistration)


class Progress(Schema):
    cohort = fields.Nested(CohortProgress, required=True)
    status = fields.String(required=True)
    percent = fields.Integer(required=True)
    complete = fields.Boolean(required=True)
    modules = fields.List(fields.Nested(ModuleProgress), required=True)
    next = fields.Nested(NextStep, required=True)
    registration = fields.Nested(RegistrationState, required=True)


class MateriDone(Schema):
    materi_id = fields.Integer(required=True)
    done = fields.Boolean(required=True)
    progress = fields.Nested(Progress, required=True)


class Option(Schema):
    id = fields.Integer(required=True)
    text = fields.String(required=True)


class Question(Schema):
    id = fields.Integer(required=True)
    number = fields.Integer(required=True)
    text = fields.String(required=True)
    options = fields.List(fields.Nested(Option), required=True)


class Posttest(Schema):
    module_id = fields.Integer(required=True)
    practice = fields.Boolean(required=True)
    questions = fields.List(fields.Nested(Question), required=True)


class AttemptIn(Schema):
    # The values are checked per question by the service (``posttest.services.parse_answers``), so that every
    # refusal is reported under its question's id, as the post-test page shows it.
    answers = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=20)),
                          values=fields.Raw(metadata={"type": "integer", "minimum": 1, "maximum": MAX_ID}),
                          required=True, metadata={"description": "{QUESTION_ID: OPTION_ID} for every question"})


class Feedback(Schema):
    question_id = fields.Integer(required=True)
    correct = fields.Boolean(required=True)
    chosen_option_id = fields.Integer(required=True, allow_none=True)
    correct_option_id = fields.Integer(required=True)
    explanation = fields.String(required=True, allow_none=True)


class AttemptResult(Schema):
    attempt_id = fields.Integer(required=True)
    score = fields.Integer(required=True)
    max_score = fields.Integer(required=True)
    practice = fields.Boolean(required=True)
    feedback = fields.List(fields.Nested(Feedback), required=True)


class Prompt(Schema):
    id = fields.Integer(required=True)
    text = fields.String(required=True)
    min_length = fields.Integer(required=True, metadata={"description": "Minimum characters (trimmed) to submit"})


class Journal(Schema):
    prompts = fields.List(fields.Nested(Prompt), required=True)
    answers = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                          metadata={"description": "{PROMPT_ID: text}: the latest saved draft"})
    status = fields.String(required=True, validate=validate.OneOf(["empty", "draft", "submitted"]))
    version = fields.Integer(required=True, metadata={"description": "0 before the first save"})
    has_unsubmitted_changes = fields.Boolean(required=True)
    updated_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})


#: The longest key of a journal answer (a prompt id, as text).
_PROMPT_KEY_LENGTH = 20


class JournalIn(Schema):
    answers = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=_PROMPT_KEY_LENGTH)),
                          values=fields.String(validate=validate.Length(max=MAX_ANSWER_LENGTH)),
                          required=True,
                          metadata={"description": "{PROMPT_ID: text}; prompts not sent keep their saved text "
                                                   "({} with submit: the saved draft is submitted as it is)."})
    submit = fields.Boolean(load_default=False, truthy={True}, falsy={False})
    version = fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_ID),
                             metadata={"description": "The version edited (0: no entry yet); a newer save is a 409"})

    def load_plain(self, data) -> dict | None:
        """``load``'s result for a body that is plainly valid (the autosave's, many times a minute per teacher),
        without marshmallow's per-field machinery; None for anything else, which ``load`` then refuses or accepts
        with its own messages (``lms.api.validation.ApiParser``). Stricter than the fields, never looser:
        ``tests/modules/test_journal_input.py`` compares the two on valid and invalid bodies."""
        if type(data) is not dict or not data.keys() <= self.load_fields.keys():
            return None
        answers = data.get("answers")
        if type(answers) is not dict:
            return None
        for key, value in answers.items():
            if not 0 < len(key) <= _PROMPT_KEY_LENGTH or type(value) is not str or len(value) > MAX_ANSWER_LENGTH:
                return None
        loaded = {"answers": answers, "submit": data.get("submit", False)}
        if type(loaded["submit"]) is not bool:
            return None
        if "version" in data:
            version = data["version"]
            if type(version) is not int or not 0 <= version <= MAX_ID:
                return None
            loaded["version"] = version
        return loaded


class JournalRefused(Error):
    """422: invalid input (nothing saved), or a submission with too-short answers (the draft is saved)."""

    draft_saved = fields.Boolean(metadata={"description": "true: the answers were saved as the draft"})
    prompts = fields.List(fields.Nested(Prompt))
    answers = fields.Dict(keys=fields.String(), values=fields.String())
    status = fields.String(validate=validate.OneOf(["empty", "draft", "submitted"]))
    version = fields.Integer()
    has_unsubmitted_changes = fields.Boolean()
    updated_at = fields.String(allow_none=True, metadata={"format": "date-time"})
