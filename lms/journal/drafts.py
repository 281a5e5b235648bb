"""A journal draft saved in one statement, the version check included (the autosave path).

- no ``version`` (merge into whatever is newest): ``INSERT ... ON CONFLICT DO UPDATE`` whose update merges the sent
  answers into the stored draft in SQL (answers for prompts not sent are kept) and bumps the version;
- ``version`` 0 (the client saw no entry): ``INSERT ... ON CONFLICT DO NOTHING``: an entry saved meanwhile is a
  conflict;
- ``version`` n: ``UPDATE ... WHERE version = n``: a save made since is a conflict, and so is a missing entry.

Each is a single statement on the row, so two concurrent saves of the same version can never both succeed, and
concurrent saves without a version both land (each merges into the row as the other left it). A draft never
changes the status or the submitted answers.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, cast, func, literal, update
from sqlalchemy.dialects.postgresql import JSONB

from lms.cohorts.models import Enrollment
from lms.core.db import dialect_insert
from lms.curriculum.models import Module
from lms.extensions import db
from lms.journal.models import JournalEntry


def _merged(dialect: str, stored, sent):
    """The stored draft with the sent answers laid over it (both JSON objects of prompt id -> text)."""
    if dialect == "postgresql":
        return cast(cast(stored, JSONB).op("||")(cast(sent, JSONB)), JSON)
    return func.json_patch(stored, sent)  # SQLite; answers are strings, never null, so nothing is removed


def save_draft(enrollment: Enrollment, module: Module, answers: dict[str, str], *, version: int | None,
               now: datetime) -> JournalEntry | None:
    """The entry as saved, or None when ``version`` is not the stored one (nothing written)."""
    options = {"populate_existing": True}
    if version:
        return db.session.scalar(
            update(JournalEntry)
            .where(JournalEntry.enrollment_id == enrollment.id, JournalEntry.module_id == module.id,
                   JournalEntry.version == version)
            .values(draft_answers=_merged(db.session.get_bind().dialect.name, JournalEntry.draft_answers,
                                          literal(answers, JSON)),
                    updated_at=now, version=JournalEntry.version + 1)
            .returning(JournalEntry), execution_options={**options, "synchronize_session": False})
    dialect = db.session.get_bind().dialect.name
    insert = dialect_insert(db.session)(JournalEntry).values(
        enrollment_id=enrollment.id, module_id=module.id, draft_answers=answers, status="draft", updated_at=now,
        version=1)
    if version == 0:
        statement = insert.on_conflict_do_nothing(index_elements=["enrollment_id", "module_id"])
    else:
        statement = insert.on_conflict_do_update(
            index_elements=["enrollment_id", "module_id"],
            set_={"draft_answers": _merged(dialect, JournalEntry.draft_answers, insert.excluded.draft_answers),
                  "updated_at": now, "version": JournalEntry.version + 1})
    return db.session.scalar(statement.returning(JournalEntry), execution_options=options)
