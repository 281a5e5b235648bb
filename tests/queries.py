"""Counting what a block sends to the database: SQL statements (for the fixed-statement-count tests) and COMMITs
(for "no write on a read path")."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from lms.extensions import db


@contextmanager
def _listening(app, name: str, record):
    with app.app_context():
        engine = db.engine
    event.listen(engine, name, record)
    try:
        yield
    finally:
        event.remove(engine, name, record)


@contextmanager
def counted(app):
    """Collect the SQL statements sent while the block runs."""
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with _listening(app, "before_cursor_execute", record):
        yield statements


@contextmanager
def commits(app):
    """Collect the COMMITs sent while the block runs."""
    seen = []

    def record(conn):
        seen.append(conn)

    with _listening(app, "commit", record):
        yield seen
