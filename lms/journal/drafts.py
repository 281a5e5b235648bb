"""A journal draft saved in one statement, the version check and the unlock rule included (the autosave path).

- no ``version`` (merge into whatever is newest): ``INSERT ... SELECT ... WHERE <unlocked> ON CONFLICT DO UPDATE``
  whose update merges the sent answers into the stored draft in SQL (answers for prompts not sent are kept) and
  bumps the version;
- ``version`` 0 (the client saw no entry): the same ``INSERT`` with ``ON CONFLICT DO NOTHING``: an entry saved
  meanwhile is a conflict;
- ``version`` n: ``UPDATE ... WHERE version = n AND <unlocked>``: a save made since is a conflict, and so is a
  missing entry.

``<unlocked>`` is the module's journal gate (``lms.modules.gate``, reached through ``lms.learning``): a condition on
the participant's own rows, so a locked journal writes nothing and the caller finds out why only then. On
PostgreSQL the read model's last-activity ``UPDATE`` (``lms.progress.summary.ACTIVITY``, reached through
``lms.learning``) rides along as a data-modifying CTE, applied only when the write returned a row.

Each is a single statement on the row, so two concurrent saves of the same version can never both succeed, and
concurrent saves without a version both land (each merges into the row as the other left it). A draft never
changes the status or the submitted answers. The statements are built once per database dialect and gate shape
(the lengths of its id lists, each id its own bind parameter) and sent as ``lms.core.prepared.Prepared`` statements
on the driver's cursor: SQLAlchemy's Core execution, with its per-execution rendering of the gate's expanding
``IN`` lists, cost more CPU than the statement; the row they return stands for the entry (``SavedDraft``).
"""

from __future__ import annotations

from collections import namedtuple
from datetime import datetime

from sqlalchemy import JSON, Integer, bindparam, cast, exists, func, literal_column, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from lms.core.db import UTCDateTime
from lms.core.prepared import Prepared
from lms.extensions import db
from lms.journal.models import JournalEntry

T = JournalEntry.__table__
#: What a saved draft answers with (``JournalView`` reads these by name).
RETURNED = (T.c.id, T.c.version, T.c.status, T.c.draft_answers, T.c.submitted_answers, T.c.updated_at)

_statements: dict[tuple, Prepared] = {}


def _merged(dialect: str, stored, sent):
    """The stored draft with the sent answers laid over it (both JSON objects of prompt id -> text)."""
    if dialect == "postgresql":
        return cast(cast(stored, JSONB).op("||")(cast(sent, JSONB)), JSON)
    return func.json_patch(stored, sent)  # SQLite; answers are strings, never null, so nothing is removed


def _build(dialect: str, kind: str, condition):
    answers = bindparam("b_answers", type_=JSON)
    now = bindparam("b_now", type_=UTCDateTime())
    mine = (T.c.enrollment_id == bindparam("b_enrollment"), T.c.module_id == bindparam("b_module"))
    if kind == "version":
        return (update(T).where(*mine, T.c.version == bindparam("b_version"), condition)
                .values(draft_answers=_merged(dialect, T.c.draft_answers, answers), updated_at=now,
                        version=T.c.version + 1)
                .returning(*RETURNED))
    row = select(cast(bindparam("b_enrollment"), Integer), cast(bindparam("b_module"), Integer), answers,
                 literal_column("'draft'"), now, literal_column("1")).where(condition)
    statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(T).from_select(
        ["enrollment_id", "module_id", "draft_answers", "status", "updated_at", "version"], row)
    if kind == "new":
        statement = statement.on_conflict_do_nothing(index_elements=["enrollment_id", "module_id"])
    else:
        statement = statement.on_conflict_do_update(
            index_elements=["enrollment_id", "module_id"],
            set_={"draft_answers": _merged(dialect, T.c.draft_answers, statement.excluded.draft_answers),
                  "updated_at": statement.excluded.updated_at, "version": T.c.version + 1})
    return statement.returning(*RETURNED)


def _with_activity(write, activity):
    """PostgreSQL: the write and, when it wrote a row, the read model's activity ``UPDATE``, as one statement
    (data-modifying CTEs); it answers the write's row."""
    saved = write.cte("saved")
    touched = activity.where(exists(select(literal_column("1")).select_from(saved))).cte("touched")
    return select(*saved.c).add_cte(touched)


#: A saved draft: the row of ``RETURNED`` (``JournalView`` and the ``journal.saved`` subscribers read it by name).
SavedDraft = namedtuple("SavedDraft", [c.name for c in RETURNED])


def _statement(dialect: str, kind: str, gate, activity) -> Prepared:
    key = (dialect, kind, gate.shape, id(activity))
    statement = _statements.get(key)
    if statement is None:
        built = _build(dialect, kind, gate.condition)
        if activity is not None:
            built = _with_activity(built, activity)
        if len(_statements) > 1024:  # shapes of curricula gone: dropped wholesale, built again on demand
            _statements.clear()
        statement = _statements[key] = Prepared(built)
    return statement


def save_draft(enrollment_id: int, module_id: int, answers: dict[str, str], *, version: int | None, now: datetime,
               gate, activity=None) -> tuple[SavedDraft | None, bool]:
    """The entry as saved (a ``SavedDraft``), or None when nothing was written: ``version`` is not the stored
    one, or the gate (``lms.modules.gate.JournalGate``) is closed. With ``activity`` (the read model's statement,
    ``lms.learning.activity_statement``), on PostgreSQL the same statement records the activity of a save that
    wrote; the second value says whether it did so."""
    session = db.session()
    dialect = session.get_bind().dialect.name  # not the session's connection: an autocommitted save has its own
    if dialect != "postgresql":
        activity = None  # SQLite has no data-modifying CTEs: the read model's own statement follows
    kind = "version" if version else ("new" if version == 0 else "merge")
    params = {"b_enrollment": enrollment_id, "b_module": module_id, "b_answers": answers, "b_now": now,
              "gate_enrollment": enrollment_id, "now": now, **gate.params}
    if version:
        params["b_version"] = version
    row = _statement(dialect, kind, gate, activity).first(session, params)
    return (SavedDraft._make(row) if row is not None else None), row is not None and activity is not None
