"""Whether a participant may write a module's journal, as one SQL condition on the participant's own rows.

The journal's autosave writes the draft in one statement; instead of computing the participant's whole progress
first (``lms.modules.progress``: a statement and a Python pass over every module) it carries the unlock rule as a
condition of that statement: ``ModuleState.journal_unlocked`` is "every materi of the module done and a post-test
attempt of it", and, in a sequential curriculum, "every module before it complete" (its materi, an attempt, its
journal submitted). From the cached curriculum structure (``lms.modules.cache``) those become three lists of ids
(materi, modules with an attempt, modules with a submitted journal) that the participant's rows must all cover;
``tests/modules/test_journal_gate.py`` checks the condition against ``compute_progress`` state by state.

Installed for the journal by the app factory (``lms.learning.services.install_journal_gate``): the journal, below
this package, does not import it.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import and_, bindparam, distinct, func, select

from lms.cohorts.models import Enrollment
from lms.extensions import db
from lms.journal.models import JournalEntry
from lms.modules.cache import PromptInfo, Structure, curriculum_structure
from lms.modules.models import MateriProgress
from lms.posttest.models import Attempt

_KEY = "lms.journal_gates"


def _covers(count, enrollment_column, id_column, name: str, n: int, *where):
    """The participant's rows cover every id of the list ``name``: ``:name_0`` .. ``:name_{n-1}``."""
    ids = [bindparam(f"{name}_{i}") for i in range(n)]
    return (select(count).where(enrollment_column == bindparam("gate_enrollment"), id_column.in_(ids), *where)
            .scalar_subquery() == n)


def _condition(shape: tuple[int, int, int]):
    """The condition for id lists of these lengths (materi, modules tested, journals submitted). One bind parameter
    per id instead of an expanding ``IN``: a statement built on it is compiled once per shape instead of rendered
    afresh on each execution, and can run on the driver's cursor (``lms.core.prepared``). An empty list is covered
    by any rows, so it adds nothing."""
    materi, tested, journals = shape
    parts = [_covers(func.count(distinct(Attempt.module_id)), Attempt.enrollment_id, Attempt.module_id,
                     "gate_tested", tested)]
    if materi:
        parts.insert(0, _covers(func.count(), MateriProgress.enrollment_id, MateriProgress.materi_id, "gate_materi",
                                materi))
    if journals:
        parts.append(_covers(func.count(), JournalEntry.enrollment_id, JournalEntry.module_id, "gate_journals",
                             journals, JournalEntry.status == "submitted"))
    return and_(*parts)


@dataclass(frozen=True, slots=True)
class JournalGate:
    module_id: int
    prompts: tuple[PromptInfo, ...]
    #: The lengths of the three id lists: gates of one shape share their condition (and statements built on it).
    shape: tuple[int, int, int]
    #: True when the participant's rows unlock the journal; ``gate_enrollment`` and ``params`` complete it.
    condition: object
    params: dict


def _gate(structure: Structure, module_id: int) -> JournalGate | None:
    index = next((i for i, m in enumerate(structure.modules) if m.id == module_id), None)
    if index is None:
        return None
    before = structure.modules[:index] if structure.sequential else ()
    upto = (*before, structure.modules[index])
    lists = {"gate_materi": [m.id for info in upto for m in info.materi], "gate_tested": [info.id for info in upto],
             "gate_journals": [info.id for info in before]}
    params = {f"{name}_{i}": value for name, ids in lists.items() for i, value in enumerate(ids)}
    shape = tuple(len(ids) for ids in lists.values())
    return JournalGate(module_id, structure.modules[index].prompts, shape, _condition(shape), params)


def journal_gate(enrollment: Enrollment, module_id: int) -> JournalGate | None:
    """The gate of ``module_id`` in the participant's curriculum (no statement: from the cached structure); None
    when the module is not part of it. Kept per process by curriculum version, as the structure is."""
    cohort = enrollment.cohort
    if cohort.curriculum_id is None:
        return None
    key = (cohort.curriculum_id, cohort.curriculum.version, module_id)
    gates = current_app.extensions.setdefault(_KEY, {})
    if key in gates:
        return gates[key]
    structure = curriculum_structure(cohort.curriculum_id, cohort.curriculum.version)
    gate = _gate(structure, module_id) if structure is not None else None
    if structure is not None and structure.version == key[1]:
        if len(gates) > 4096:  # old versions' gates: dropped wholesale, rebuilt on demand
            gates.clear()
        gates[key] = gate
    return gate


def journal_open(enrollment: Enrollment, gate: JournalGate) -> bool:
    """The condition alone, evaluated (one statement): for tests and refusals."""
    return bool(db.session.connection().execute(select(gate.condition),
                                                {"gate_enrollment": enrollment.id, **gate.params}).scalar())
