"""Learning journals: drafts saved as the participant types; submitting checks each answer's minimum length."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.cohorts.errors import NotUnlocked
from lms.cohorts.models import Enrollment
from lms.cohorts.services import require_open
from lms.core.errors import DomainError, Invalid
from lms.extensions import db
from lms.journal.models import JournalEntry, Prompt
from lms.modules.models import Module
from lms.modules.progress import compute_progress
from lms.modules.services import module_state, record_completion, require_readable

MAX_ANSWER_LENGTH = 20_000


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


def _entry(enrollment: Enrollment, module: Module) -> JournalEntry | None:
    return db.session.scalar(select(JournalEntry).where(JournalEntry.enrollment_id == enrollment.id,
                                                        JournalEntry.module_id == module.id))


def check_journal_open(enrollment: Enrollment, module: Module, *, now: datetime) -> None:
    require_readable(enrollment, now)
    if not module_state(compute_progress(enrollment), module).journal_unlocked:
        raise NotUnlocked(_l("Kerjakan post-test modul ini sebelum menulis jurnal pembelajaran."))


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


def save_journal(enrollment: Enrollment, module: Module, answers: Mapping, *, submit: bool, now: datetime,
                 version: int | None = None) -> SaveResult:
    """Save the typed text as the draft; with ``submit``, also submit it if every answer is long enough.

    Answers for prompts not sent are kept. A stale ``version`` (another tab saved since) is refused,
    so that an older copy never overwrites newer text.
    """
    require_open(enrollment, now)
    check_journal_open(enrollment, module, now=now)
    prompts = prompts_for(module)
    clean = _clean(prompts, answers)
    entry = _entry(enrollment, module)
    if entry is not None and version is not None and version != entry.version:
        raise VersionConflict()
    if entry is None:
        entry = JournalEntry(enrollment_id=enrollment.id, module_id=module.id, draft_answers={}, status="draft",
                             updated_at=now, version=0)
        db.session.add(entry)
    entry.draft_answers = {**(entry.draft_answers or {}), **clean}
    entry.updated_at = now
    entry.version = (entry.version or 0) + 1
    errors = submission_errors(prompts, entry.draft_answers) if submit else {}
    submitted = submit and not errors
    if submitted:
        entry.submitted_answers = dict(entry.draft_answers)
        entry.status = "submitted"
        entry.submitted_at = now
    record_completion(enrollment, now=now)
    return SaveResult(JournalView(prompts, entry), submitted, errors)
