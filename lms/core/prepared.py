"""The hottest statements, run on the driver's own cursor: a Core statement that returns rows, compiled once per
dialect.

``session.connection().execute(select)`` costs, per execution, SQLAlchemy's execution context, its cursor result
(which asks psycopg for ``cursor.description``: a ``Column`` object per selected column), and the event and
compiled-cache bookkeeping — on the progress read, more CPU than PostgreSQL spends running the three statements.
A ``Prepared`` statement keeps the parts of that which matter and drops the rest:

- compiled once per dialect, with the statement's own bind and result processors (``UTCDateTime``, booleans and
  dates on SQLite, ...), so its rows hold exactly the values ``execute`` would give;
- run in the request's transaction: on the DBAPI connection under ``session.connection()`` (the session's pending
  changes flushed first, as the ORM would);
- the engine's ``before_cursor_execute`` and ``after_cursor_execute`` listeners are called as for any statement
  (statement counts in tests, the request boundary's bookkeeping), and a driver error goes through SQLAlchemy's own
  handling (a dropped connection invalidates the pool and surfaces as ``DBAPIError`` with
  ``connection_invalidated``), so a failure looks exactly as it would through ``execute``.

Only statements that return rows (a SELECT, one with data-modifying CTEs, an ``INSERT``/``UPDATE ... RETURNING``)
with named scalar bind parameters (no expanding ``IN``, no literal execution): the statements every request sends,
with a fixed shape. Rows are plain tuples, in the order of the returned columns. A write sent this way is seen by
the request boundary as any other (its ``after_cursor_execute`` listener marks the connection changed).

**Outside the session.** A session marked ``AUTOCOMMITTED`` (a reads-only request or a one-statement write,
``lms.core.boundary``) that has no transaction of its own runs its prepared statements on a connection of its own,
taken from the pool once per request and put in autocommit (``_read_connection``), instead of
``session.connection()``: the session's transaction, its connection bookkeeping and their close cost more CPU than
the two statements of a progress read.
The rows are the same, each statement commits itself (a read: nothing to commit), and the instances adopted from
them live in the session as before. Whatever does begin the session's own transaction afterwards (a lazy load, a
token's last use, a flush) takes a connection of its own, in autocommit too, and from then on every prepared
statement runs there. ``end_reads`` returns the connection to the pool, at the end of the request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool
from sqlalchemy.sql import Executable

__all__ = ["AUTOCOMMITTED", "Prepared", "end_reads", "flushed_connection", "for_the_transaction", "to_autocommit"]


_CONNECTION = "lms_connection"
#: In the session's info: its statements run in autocommit for this request (set by the request boundary).
AUTOCOMMITTED = "lms_autocommitted"
#: In the session's info: the connection its prepared statements read on while it has no transaction of its own.
_READS = "lms_read_connection"
#: In the session's info: its own transaction took a connection (forgotten when the transaction ends).
_TAKEN = "lms_session_connected"
#: In the pooled connection's info: the dialect that put it in autocommit, to put it back (``_checked_out``).
_AUTOCOMMIT_DIALECT = "lms_autocommit_dialect"
#: Set while a read connection is checked out: the pool leaves it in autocommit.
_FOR_READS: ContextVar[bool] = ContextVar("lms_for_reads", default=False)


def flushed_connection(session: Session):
    """The session's connection for a Core statement, its pending ORM changes flushed first: what the ORM's
    autoflush does before an ORM statement, done for statements that skip the ORM's execution path.

    The connection is kept in ``session.info`` until the session's transaction ends (``after_transaction_end``
    below): ``session.connection()`` walks the session's transaction state machine on every call, which cost more
    than the hot statements' own bookkeeping."""
    session.flush()  # nothing to do when nothing is pending: its own check, cheaper than asking new, dirty, deleted
    info = session.info
    connection = info.get(_CONNECTION)
    if connection is not None and not connection.invalidated:
        return connection
    if AUTOCOMMITTED in info and _TAKEN not in info:
        return _read_connection(session)
    connection = info[_CONNECTION] = session.connection()
    return connection


def _read_connection(session: Session):
    """The connection a reads-only request's prepared statements run on while its session has no transaction
    (see the module's note): checked out once, in autocommit, kept until ``end_reads``."""
    connection = session.info.get(_READS)
    if connection is None or connection.invalidated:
        if connection is not None:
            connection.close()
        taking = _FOR_READS.set(True)
        try:
            connection = session.get_bind().connect()
        finally:
            _FOR_READS.reset(taking)
        try:
            to_autocommit(connection)
        except Exception:
            connection.close()
            raise
        session.info[_READS] = connection
    return connection


def end_reads(session: Session) -> None:
    """The end of a reads-only request: its read connection goes back to the pool, and what was kept for the
    transaction is forgotten, as the end of a transaction would: a session kept after the request (a test's) starts
    the next one afresh."""
    info = session.info
    connection = info.pop(_READS, None)
    if connection is not None:
        for key in _TRANSACTION_KEYS:
            info.pop(key, None)
        connection.close()


def _begun(session: Session, transaction, connection) -> None:
    """Session ``after_begin`` (its transaction took a connection, no statement sent yet): in a reads-only request,
    the connection goes to autocommit, and the prepared statements go with the session's transaction from then on
    (``_TAKEN``; the transaction's logical begin, e.g. on adopting an instance, takes no connection)."""
    if transaction.parent is None and AUTOCOMMITTED in session.info:
        to_autocommit(connection)
        session.info[_TAKEN] = True


def to_autocommit(connection) -> None:
    """Put ``connection`` (no statement sent yet) in autocommit by the dialect's own switch (``set_isolation_level``:
    psycopg's ``autocommit``, SQLite's ``isolation_level``), unless it is in autocommit already. That is what
    ``execution_options(isolation_level="AUTOCOMMIT")`` does, without its per-connection bookkeeping.

    It stays so in the pool: the next checkout that is not for reads puts it back in the dialect's default mode
    (``_checked_out``), so that a connection switches only when the mode its taker needs changes. (Every switch
    costs the driver's lock and state checks: on a read path, more than the pool's checkout itself.)"""
    pooled = connection.connection
    if _AUTOCOMMIT_DIALECT not in pooled.info:
        _switch(connection.dialect, pooled.dbapi_connection, autocommit=True)
        pooled.info[_AUTOCOMMIT_DIALECT] = connection.dialect


def _checked_out(dbapi_connection, record, proxy) -> None:
    """Pool checkout: a connection left in autocommit by reads goes back to the dialect's default mode, unless it is
    taken for reads again (``_read_connection``). Every other taker (a session's transaction, ``engine.begin()``, a
    task, a command) gets it transactional, as the pool gave it before any read."""
    if _AUTOCOMMIT_DIALECT in record.info and not _FOR_READS.get():
        _switch(record.info.pop(_AUTOCOMMIT_DIALECT), dbapi_connection, autocommit=False)


def _switch(dialect, dbapi_connection, *, autocommit: bool) -> None:
    """The driver's connection to autocommit, or back to the dialect's default mode."""
    if dialect.driver == "psycopg":
        dbapi_connection.autocommit = autocommit  # the dialect's switch also sets isolation_level: twice the work
    elif autocommit:
        dialect.set_isolation_level(dbapi_connection, "AUTOCOMMIT")
    else:
        dialect.reset_isolation_level(dbapi_connection)


if not event.contains(Pool, "checkout", _checked_out):
    event.listen(Pool, "checkout", _checked_out)
    event.listen(Session, "after_begin", _begun)


#: ``session.info`` keys whose values hold for the session's transaction only (``for_the_transaction``).
_TRANSACTION_KEYS: set[str] = set()


def for_the_transaction(key: str) -> str:
    """Have ``session.info[key]`` forgotten when the session's own transaction ends (commit, rollback, close; a
    savepoint's end keeps it): for what a request reads once and keeps for the rest of its transaction."""
    _TRANSACTION_KEYS.add(key)
    return key


def _forget_transaction_values(session: Session, transaction) -> None:
    if transaction.parent is None:  # the session's own transaction (a savepoint keeps the same connection)
        for key in _TRANSACTION_KEYS:
            session.info.pop(key, None)


for_the_transaction(_CONNECTION)
for_the_transaction(_TAKEN)
if not event.contains(Session, "after_transaction_end", _forget_transaction_values):
    event.listen(Session, "after_transaction_end", _forget_transaction_values)


class _Compiled:
    __slots__ = ("sql", "names", "defaults", "binders", "positional", "processors")

    def __init__(self, statement: Executable, dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        if compiled.literal_execute_params or compiled.post_compile_params:
            raise ValueError("a prepared statement takes scalar bind parameters only")
        self.sql: str = compiled.string
        self.positional = compiled.positiontup is not None
        self.names: list[str] = list(compiled.positiontup if self.positional else compiled.bind_names.values())
        # The values bound in the statement itself (a LIMIT, a literal), which the caller's parameters complete.
        self.defaults: dict[str, Any] = compiled.construct_params(_check=False)
        processors = compiled._bind_processors
        self.binders: list[tuple[str, Callable]] = [(name, processors[name]) for name in dict.fromkeys(self.names)
                                                    if name in processors]
        result = [entry.type._cached_result_processor(dialect, None) for entry in compiled._result_columns]
        self.processors: list[tuple[int, Callable]] | None = (
            [(i, p) for i, p in enumerate(result) if p is not None] or None)

    def parameters(self, given: Mapping[str, Any]):
        values = {**self.defaults, **given}
        if self.binders:
            for name, process in self.binders:
                values[name] = process(values[name])
        if self.positional:
            return tuple(values[name] for name in self.names)
        return values


class Prepared:
    """A Core statement returning rows, compiled once per dialect, run on the driver's cursor in the session's
    transaction."""

    __slots__ = ("statement", "_compiled")

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}

    def _for(self, dialect) -> _Compiled:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled[dialect.name] = _Compiled(self.statement, dialect)
        return compiled

    def rows(self, session: Session, parameters: Mapping[str, Any]) -> list[Sequence[Any]]:
        """Every row, as tuples in the order of the selected columns."""
        connection = flushed_connection(session)
        compiled = self._for(connection.dialect)
        sql, values = compiled.sql, compiled.parameters(parameters)
        cursor = None
        try:
            cursor = connection.connection.dbapi_connection.cursor()
            events = connection._has_events or connection.engine._has_events
            if events:
                connection.dispatch.before_cursor_execute(connection, cursor, sql, values, None, False)
            cursor.execute(sql, values)
            if events:
                connection.dispatch.after_cursor_execute(connection, cursor, sql, values, None, False)
            rows = cursor.fetchall()
            cursor.close()
        except Exception as exc:  # noqa: BLE001 - re-raised by SQLAlchemy, wrapped as execute would
            connection._handle_dbapi_exception(exc, sql, values, cursor, None)
        if compiled.processors:
            rows = [_processed(row, compiled.processors) for row in rows]
        return rows

    def first(self, session: Session, parameters: Mapping[str, Any]) -> Sequence[Any] | None:
        rows = self.rows(session, parameters)
        return rows[0] if rows else None


def _processed(row: Sequence[Any], processors: list[tuple[int, Callable]]) -> list[Any]:
    row = list(row)
    for i, process in processors:
        row[i] = process(row[i])
    return row

