"""The dashboard's module rows say what the progress state says, for every combination of parts done."""

from __future__ import annotations

import itertools

from lms.dashboard.services import module_row
from lms.modules.progress import MateriState, ModuleState


def _module(materi_done: list[bool], attempts: int, journal: str, unlocked: bool) -> ModuleState:
    materi = [MateriState(i, f"Materi {i}", 10, done) for i, done in enumerate(materi_done)]
    return ModuleState(7, "M7", "Modul <7>", 7, materi=materi, attempts=attempts, best_score=8 if attempts else None,
                       max_score=10 if attempts else None, journal_status=journal, unlocked=unlocked)


def test_rows_agree_with_the_progress_state():
    materi_cases = [[], [False], [True], [True, False, True], [True, True]]
    for materi, attempts, journal, unlocked in itertools.product(materi_cases, (0, 2), ("empty", "draft", "submitted"),
                                                                (True, False)):
        state = _module(materi, attempts, journal, unlocked)
        row = module_row(state)
        assert (row.id, row.title, row.unlocked, row.best_score, row.max_score, row.journal_status) == (
            7, "Modul <7>", unlocked, state.best_score, state.max_score, journal)
        assert (row.complete, row.materi_done, row.posttest_done, row.journal_done) == (
            state.complete, state.materi_done, state.posttest_done, state.journal_done)
        assert (row.materi_read, row.materi_total) == (sum(materi), len(materi))
