"""Counting what a block sends to the database: SQL statements (for the fixed-statement-count tests), the writing
ones among them (for "no write on a read path"), and COMMITs. A read-only request ends its transaction with a
COMMIT too (see ``lms/core/boundary.py``), so "no write" is asserted on the statements, not on the COMMITs."""

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
def sent(app, containing: str):
    """Collect (statement, parameters) of the statements containing ``containing`` sent while the block runs."""
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if containing in statement:
            seen.append((statement, parameters))

    with _listening(app, "before_cursor_execute", record):
        yield seen


def explain(statement: str, parameters) -> str:
    """PostgreSQL's plan of a statement as it was sent (inside an app context)."""
    return "\n".join(row[0] for row in db.session.connection().exec_driver_sql("EXPLAIN " + statement, parameters))


@contextmanager
def commits(app):
    """Collect the COMMITs sent while the block runs."""
    seen = []

    def record(conn):
        seen.append(conn)

    with _listening(app, "commit", record):
        yield seen


WRITES = ("INSERT", "UPDATE", "DELETE", "MERGE", "COPY", "TRUNCATE")


def writes(statements: list[str]) -> list[str]:
    """The statements among ``statements`` that change data."""
    return [s for s in statements if s.lstrip().upper().startswith(WRITES)]


def in_transaction(dbapi_connection) -> bool:
    """PostgreSQL: inside a transaction block now. SQLite (whose driver begins one only before a write): in the
    driver's transactional mode."""
    if hasattr(dbapi_connection, "in_transaction"):  # sqlite3
        return dbapi_connection.isolation_level is not None
    from psycopg.pq import TransactionStatus

    return dbapi_connection.info.transaction_status != TransactionStatus.IDLE
