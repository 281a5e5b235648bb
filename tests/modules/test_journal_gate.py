"""The journal gate (``lms/modules/gate.py``) is the unlock rule of ``compute_progress`` as SQL: at every step of a
participant's way through a curriculum, sequential or not, the condition says what ``journal_unlocked`` says, for
every module. The draft autosave writes under this condition instead of computing the progress."""

from __future__ import annotations

from lms.extensions import db
from lms.modules.gate import journal_gate, journal_open
from lms.modules.progress import compute_progress
from tests.modules.test_services import enrolled, finish_materi, modules_of, submit_journal, take_posttest


def _agree(enrollment) -> list[bool]:
    progress = compute_progress(enrollment)
    opened = []
    for state in progress.modules:
        gate = journal_gate(enrollment, state.id)
        assert [p.id for p in gate.prompts] == [p.id for p in state.prompts]
        assert journal_open(enrollment, gate) is state.journal_unlocked, (state.id, gate.params)
        opened.append(state.journal_unlocked)
    return opened


def _agree_both_ways(enrollment) -> dict[bool, list[bool]]:
    """The same rows read as a sequential curriculum and as a free one (each change bumps the version, as an import
    does, so that the cached structure and gates follow)."""
    curriculum = enrollment.cohort.curriculum
    seen = {}
    for sequential in (True, False):
        curriculum.sequential = sequential
        curriculum.version += 1
        db.session.flush()
        seen[sequential] = _agree(enrollment)
    return seen


def test_the_gate_says_what_the_progress_says_at_every_step(app, learning, during):
    enrollment_id = enrolled(learning, modules=3, materi=2, sequential=False)
    with app.app_context():
        enrollment = learning.enrollment(enrollment_id)
        m1, m2, m3 = modules_of(enrollment)
        # Out of curriculum order (the free curriculum allows it), so that the sequential reading meets rows of a
        # later module while an earlier one is incomplete.
        steps = [(finish_materi, m3), (take_posttest, m3), (finish_materi, m1), (finish_materi, m2),
                 (take_posttest, m2), (submit_journal, m3), (take_posttest, m1), (submit_journal, m2),
                 (submit_journal, m1)]
        seen = [_agree_both_ways(enrollment)]
        for step, module in steps:
            enrollment.cohort.curriculum.sequential = False
            step(enrollment, module, during)
            seen.append(_agree_both_ways(enrollment))
        assert [s[False] for s in seen] == [[False] * 3, [False] * 3, [False, False, True], [False, False, True],
                                            [False, False, True], [False, True, True], [False, True, True],
                                            [True, True, True], [True, True, True], [True, True, True]]
        # Sequential: module 2 only once module 1 is complete (its journal too), module 3 once module 2 is.
        assert [s[True] for s in seen][-3:] == [[True, False, False], [True, False, False], [True, True, True]]
        assert not any(s[True][2] for s in seen[:-1])
        assert journal_gate(enrollment, m3.id + 1000) is None
