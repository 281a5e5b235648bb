"""The structure of a curriculum, cached per process: what every participant of it shares.

Modules in order with their materi (ids, titles, minutes), the post-test's question ids and the journal's prompts.
An entry is keyed by the curriculum id and its ``version``, which every import bumps
(``lms.modules.curriculum_file``); the version comes with the participant's enrollment (read with who is asking,
see ``lms.cohorts.services.current_enrollment``), so an edit is seen by the next request of every process and the
cached path sends no statement for the structure.

The cache lives in ``app.extensions`` (one per application, hence per process and per test app). It holds the
latest structure of each curriculum, a few kilobytes each. Entries are immutable; replacing one is a single dict
assignment, safe under threads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import bindparam, select

from lms.curriculum.models import Curriculum, Materi, Module
from lms.extensions import db
from lms.journal.models import Prompt
from lms.posttest.models import Question

_KEY = "lms.curriculum_structure"


@dataclass(frozen=True, slots=True)
class MateriInfo:
    id: int
    title: str
    minutes: int


@dataclass(frozen=True, slots=True)
class PromptInfo:
    id: int
    text: str
    min_length: int


@dataclass(frozen=True, slots=True)
class ModuleInfo:
    id: int
    code: str
    title: str
    position: int
    materi: tuple[MateriInfo, ...]
    question_ids: tuple[int, ...]
    prompts: tuple[PromptInfo, ...]

    @property
    def has_posttest(self) -> bool:
        return bool(self.question_ids)


@dataclass(frozen=True)
class Structure:
    curriculum_id: int
    version: int
    sequential: bool
    modules: tuple[ModuleInfo, ...]
    #: materi id -> module id, for the participant's own rows.
    materi_module: dict[int, int] = field(repr=False)

    def module(self, module_id: int) -> ModuleInfo | None:
        return next((m for m in self.modules if m.id == module_id), None)


_MODULES = (select(Curriculum.version, Curriculum.sequential, Module.id, Module.code, Module.title, Module.position,
                   Materi.id, Materi.title, Materi.minutes)
            .select_from(Curriculum)
            .outerjoin(Module, Module.curriculum_id == Curriculum.id)
            .outerjoin(Materi, Materi.module_id == Module.id)
            .where(Curriculum.id == bindparam("curriculum_id"))
            .order_by(Module.position, Materi.position))
_QUESTIONS = (select(Question.module_id, Question.id).join(Module, Module.id == Question.module_id)
              .where(Module.curriculum_id == bindparam("curriculum_id")).order_by(Question.position))
_PROMPTS = (select(Prompt.module_id, Prompt.id, Prompt.text, Prompt.min_length)
            .join(Module, Module.id == Prompt.module_id)
            .where(Module.curriculum_id == bindparam("curriculum_id")).order_by(Prompt.position))


def load_structure(curriculum_id: int) -> Structure | None:
    """Read the structure from the database (three statements); None when the curriculum does not exist."""
    params = {"curriculum_id": curriculum_id}
    rows = db.session.execute(_MODULES, params).all()
    if not rows:
        return None
    questions: dict[int, list[int]] = {}
    for module_id, question_id in db.session.execute(_QUESTIONS, params):
        questions.setdefault(module_id, []).append(question_id)
    prompts: dict[int, list[PromptInfo]] = {}
    for module_id, prompt_id, text, min_length in db.session.execute(_PROMPTS, params):
        prompts.setdefault(module_id, []).append(PromptInfo(prompt_id, text, min_length))
    version, sequential = rows[0][0], rows[0][1]
    modules: dict[int, tuple[tuple, list[MateriInfo]]] = {}
    for _, _, module_id, code, title, position, materi_id, materi_title, minutes in rows:
        if module_id is None:
            continue  # a curriculum without modules
        _, materi = modules.setdefault(module_id, ((module_id, code, title, position), []))
        if materi_id is not None:
            materi.append(MateriInfo(materi_id, materi_title, minutes))
    infos = tuple(ModuleInfo(*head, tuple(materi), tuple(questions.get(head[0], ())),
                             tuple(prompts.get(head[0], ()))) for head, materi in modules.values())
    return Structure(curriculum_id, version, sequential, infos,
                     {m.id: info.id for info in infos for m in info.materi})


def _entries() -> dict[int, Structure]:
    return current_app.extensions.setdefault(_KEY, {})


def curriculum_structure(curriculum_id: int, version: int) -> Structure | None:
    """The structure of ``curriculum_id`` at ``version`` (as read with the enrollment): from the cache, or loaded
    once and kept. A structure read at a newer version (an import committed meanwhile) is newer than asked for,
    never older, and replaces the entry."""
    entries = _entries()
    entry = entries.get(curriculum_id)
    if entry is not None and entry.version == version:
        return entry
    entry = load_structure(curriculum_id)
    if entry is not None:
        entries[curriculum_id] = entry
    return entry


def clear() -> None:
    """Forget every cached structure of the current app."""
    _entries().clear()
