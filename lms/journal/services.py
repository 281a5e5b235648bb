"""Learning journals: drafts saved as the participant types; submitting checks each answer's minimum length."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from lms.cohorts.errors import NotUnlocked
from lms.cohorts.models import Enrollment
from lms.cohorts.services import require_open
from lms.core.db import dialect_insert
from lms.core.errors import DomainError, Invalid, NotFound
from lms.core.events import emit
from lms.curriculum.models import Module
from lms.extensions import db
from lms.journal import drafts
from lms.journal.models import MAX_ANSWER_LENGTH, JournalEntry, Prompt
from lms.learning.services import activity_statement, journal_gate, progress_of, record_completion, require_readable

#: In ``app.extensions``: whether a draft is saved in one statement (``draft_in_one_statement``).
_ONE_STATEMENT = "lms_journal_draft_in_one_statement"
#: Saves without a version merge into the newest draft; they retry when a concurrent save moved it.
_ATTEMPTS = 3


class VersionConflict(DomainError):
    code = "version_conflict"
    status = 409
    message = _l("Jurnal ini sudah diubah di jendela lain. Muat ulang halaman untuk melihat versi terbaru.")


@dataclass
class JournalView:
    prompts: list[Prompt]
    entry: JournalEntry | None

    @property
    def status(self) -> str:
        return self.entry.status if self.entry else "empty"

    @property
    def answers(self) -> dict[str, str]:
        return dict(self.entry.draft_answers) if self.entry else {}

    @property
    def has_unsubmitted_changes(self) -> bool:
        return bool(self.entry and self.entry.status == "submitted"
                    and self.entry.draft_answers != self.entry.submitted_answers)


@dataclass
class SaveResult:
    view: JournalView
    submitted: bool
    #: Per-prompt reasons a submission was refused; the draft is saved anyway.
    errors: dict[str, str] = field(default_factory=dict)


def prompts_for(module: Module) -> list[Prompt]:
    return list(db.session.scalars(select(Prompt).where(Prompt.module_id == module.id).order_by(Prompt.position)))


def _entry(enrollment: Enrollment, module: Module, *, fresh: bool = False) -> JournalEntry | None:
    query = select(JournalEntry).where(JournalEntry.enrollment_id == enrollment.id,
                                       JournalEntry.module_id == module.id)
    if fresh:  # re-read after a conditional UPDATE, not the copy the session already holds
        query = query.execution_options(populate_existing=True)
    return db.session.scalar(query)


def check_journal_open(enrollment: Enrollment, module: Module, *, now: datetime):
    """Refuse unless the journal may be written; returns the module's state in the participant's progress."""
    require_readable(enrollment, now)
    return _require_unlocked(enrollment, module.id)


def _require_unlocked(enrollment: Enrollment, module_id: int):
    state = progress_of(enrollment).module(module_id)
    if state is None:
        raise NotFound()
    if not state.journal_unlocked:
        raise NotUnlocked(_l("Kerjakan post-test modul ini sebelum menulis jurnal pembelajaran."))
    return state


def _prompts(state, module: Module) -> list:
    """The module's prompts: from the curriculum structure the progress was computed from (cached per process and
    curriculum version, no statement), else read."""
    prompts = getattr(state, "prompts", None)
    return list(prompts) if prompts else prompts_for(module)


def get_journal(enrollment: Enrollment, module: Module, *, now: datetime) -> JournalView:
    check_journal_open(enrollment, module, now=now)
    return JournalView(prompts_for(module), _entry(enrollment, module))


def _clean(prompts: list[Prompt], answers: Mapping) -> dict[str, str]:
    if not isinstance(answers, Mapping):
        raise Invalid(details={"answers": str(_l("Jawaban harus berupa objek {id_pertanyaan: teks}."))})
    ids = {str(p.id) for p in prompts}
    errors, clean = {}, {}
    for key, value in answers.items():
        if str(key) not in ids:
            errors[str(key)] = str(_l("Pertanyaan ini bukan bagian dari jurnal modul ini."))
        elif not isinstance(value, str):
            errors[str(key)] = str(_l("Jawaban harus berupa teks."))
        elif len(value) > MAX_ANSWER_LENGTH:
            errors[str(key)] = str(_l("Jawaban terlalu panjang (maksimal %(n)s karakter).", n=MAX_ANSWER_LENGTH))
        else:
            clean[str(key)] = value
    if errors:
        raise Invalid(details=errors)
    return clean


def submission_errors(prompts: list[Prompt], answers: Mapping[str, str]) -> dict[str, str]:
    errors = {}
    for prompt in prompts:
        length = len((answers.get(str(prompt.id)) or "").strip())
        if length < prompt.min_length:
            errors[str(prompt.id)] = str(_l("Jawaban minimal %(min)s karakter (sekarang %(n)s).",
                                            min=prompt.min_length, n=length))
    return errors


def draft_in_one_statement() -> bool:
    """Whether ``save_draft`` changes rows with one statement and nothing else: on PostgreSQL with the read model's
    activity statement installed, which rides in the save's own statement (``drafts``), its ``journal.saved``
    subscriber then writing nothing. Elsewhere the read model's statement follows the save. Its refusals all come
    before the write or from a write that matched no row. (For ``lms.core.boundary.one_statement_write``.)"""
    extensions = current_app.extensions
    one = extensions.get(_ONE_STATEMENT)
    if one is None:  # fixed for the app once it serves requests (the read model is installed by the app factory)
        one = extensions[_ONE_STATEMENT] = activity_statement() is not None and db.engine.dialect.name == "postgresql"
    return one


def save_draft(enrollment: Enrollment, module_id: int, answers: Mapping, *, now: datetime,
               version: int | None = None) -> SaveResult:
    """Save the typed text as the draft (the autosave): ``save_journal`` without ``submit``, in one statement.

    The module's prompts and its unlock rule come from the journal gate (cached with the curriculum structure, no
    statement); the write itself carries the rule as a condition (``drafts``). Only when it wrote nothing, or the
    input is refused, is the participant's progress computed, to say why: a locked journal first (as a read would
    say), then the version conflict or the invalid input.
    """
    gate = journal_gate(enrollment, module_id)
    if gate is None:
        raise NotFound()
    require_open(enrollment, now)
    try:
        clean = _clean(gate.prompts, answers)
    except Invalid:
        _require_unlocked(enrollment, module_id)
        raise
    saved, recorded = drafts.save_draft(enrollment.id, module_id, clean, version=version, now=now, gate=gate,
                                        activity=activity_statement())
    if saved is None:
        _require_unlocked(enrollment, module_id)
        raise VersionConflict()
    emit("journal.saved", enrollment=enrollment, module_id=module_id, entry=saved, submitted=False,
         activity_recorded=recorded, now=now)
    return SaveResult(JournalView(list(gate.prompts), saved), False)


def save_journal(enrollment: Enrollment, module: Module, answers: Mapping, *, submit: bool, now: datetime,
                 version: int | None = None) -> SaveResult:
    """Save the typed text as the draft; with ``submit``, also submit it if every answer is long enough.

    Answers for prompts not sent are kept. With ``version`` (the version the client edited; 0 when it saw no
    entry) a save made since in another tab or device is a ``VersionConflict``: the write is one conditional
    statement, so two saves of the same version can never both succeed. Without ``version`` the save merges
    into whatever is newest.
    """
    if not submit:
        return save_draft(enrollment, module.id, answers, now=now, version=version)
    require_open(enrollment, now)
    prompts = _prompts(check_journal_open(enrollment, module, now=now), module)
    clean = _clean(prompts, answers)
    errors: dict[str, str] = {}
    saved: JournalEntry | None = None
    for _attempt in range(_ATTEMPTS):
        entry = _entry(enrollment, module, fresh=True)
        was_submitted = entry is not None and entry.status == "submitted"
        if entry is None:
            if version not in (None, 0):
                raise VersionConflict()
            errors = submission_errors(prompts, clean) if submit else {}
            saved = _insert_entry(enrollment, module, clean, submitted=submit and not errors, now=now)
        else:
            if version is not None and version != entry.version:
                raise VersionConflict()
            merged = {**(entry.draft_answers or {}), **clean}
            errors = submission_errors(prompts, merged) if submit else {}
            saved = _update_entry(entry.id, entry.version, merged, submitted=submit and not errors, now=now)
        if saved is not None:
            break
        if version is not None:
            raise VersionConflict()  # another save of the same version won
    else:
        raise VersionConflict()
    # The write above replaced exactly the state read (version-guarded, or a fresh insert): a first submission
    # counts once, whatever the concurrent saves; any save is activity (the entry's ``updated_at``).
    emit("journal.saved", enrollment=enrollment, module_id=module.id, entry=saved,
         submitted=saved.status == "submitted" and not was_submitted, activity_recorded=False, now=now)
    if submit and not errors:
        emit("journal.submitted", enrollment=enrollment, module=module, entry=saved, now=now)
        record_completion(enrollment, now=now)  # only a submission can complete a module: a draft changes nothing
    return SaveResult(JournalView(prompts, saved), submit and not errors, errors)


def _insert_entry(enrollment: Enrollment, module: Module, answers: dict[str, str], *, submitted: bool,
                  now: datetime) -> JournalEntry | None:
    """Create the entry at version 1 and return it; None when another request created it first (unique
    constraint)."""
    insert = dialect_insert(db.session)
    values = {"enrollment_id": enrollment.id, "module_id": module.id, "draft_answers": answers, "status": "draft",
              "updated_at": now, "version": 1}
    if submitted:
        values.update(status="submitted", submitted_answers=answers, submitted_at=now)
    return db.session.scalar(insert(JournalEntry).values(**values)
                             .on_conflict_do_nothing(index_elements=["enrollment_id", "module_id"])
                             .returning(JournalEntry), execution_options={"populate_existing": True})


def _update_entry(entry_id: int, read_version: int, answers: dict[str, str], *, submitted: bool,
                  now: datetime) -> JournalEntry | None:
    """Write the merged draft only if the entry is still at ``read_version`` (one conditional UPDATE); returns the
    entry as written (``RETURNING``, so no second read), or None when another save came first."""
    values = {"draft_answers": answers, "updated_at": now, "version": JournalEntry.version + 1}
    if submitted:
        values.update(status="submitted", submitted_answers=answers, submitted_at=now)
    return db.session.scalar(update(JournalEntry)
                             .where(JournalEntry.id == entry_id, JournalEntry.version == read_version)
                             .values(**values).returning(JournalEntry),
                             execution_options={"synchronize_session": False, "populate_existing": True})
