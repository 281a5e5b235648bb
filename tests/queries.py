"""Counting the SQL statements a block sends (for the fixed-statement-count tests)."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from lms.extensions import db


@contextmanager
def counted(app):
    """Collect the SQL statements sent while the block runs."""
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
