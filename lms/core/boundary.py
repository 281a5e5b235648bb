"""One request boundary: commit when the view succeeded, roll back when it did not (in the manner of Indico's
request handler). Views and services flush; they do not commit.

- A response with status < 400 (including redirects) commits ``db.session``: its writes (an ORM flush, or an
  ``UPDATE``/``INSERT``/``DELETE`` or textual statement executed through the session), or, for a read-only request,
  nothing. A read-only transaction also ends with ``COMMIT`` rather than ``ROLLBACK``: the two are the same round
  trip and write nothing, but psycopg forgets every prepared statement of the connection on a ``ROLLBACK``, so a
  read path ended by rollbacks is planned afresh by PostgreSQL on every request (the planning of the hot read
  statements cost more server CPU than running them).
- A response with status >= 400, and an exception (rendered by the app's error handlers as JSON or HTML), rolls
  back. A refusal therefore changes nothing, whatever the view flushed before it refused. (A refusal whose
  statements changed no row at all — every UPDATE/INSERT/DELETE reported 0 rows, nothing pending in the session —
  ends with COMMIT instead, for the reason below; there is nothing to undo. A ``bookkeeping`` write, such as a
  token's last use, does not count as a change there: it is kept with such a refusal.)
- A view whose refusal still keeps what it wrote (a journal draft saved although its submission is refused) calls
  ``keep_writes_on_refusal()`` just before returning that refusal: the boundary then commits it too.
- A refusal answered with a redirect (a form post, POST-redirect-GET) calls ``discard_writes()`` first: the redirect
  commits only what is written after it.
- Deliberate separate-transaction writes (a job marked failed) still commit themselves. Streaming responses run
  after the boundary and manage their own session, as Celery tasks do.
- A view marked ``reads_only`` (the hot pages and API reads, which write nothing but bookkeeping), called with GET
  or HEAD, runs its statements in autocommit: no ``BEGIN`` and no ``COMMIT``, two round trips of the two to four a
  read sends, and the server's work for them. Each statement still sees one consistent snapshot; a bookkeeping write
  (a token's last use) commits with its own statement. Not for a view that writes, locks rows, opens a savepoint or
  streams with a server-side cursor: those need the transaction. Its prepared statements run on a pooled connection
  of the request's own, outside the session's transaction (``lms.core.prepared``), as do those of a request that
  ``one_statement_write`` admits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import suppress

from flask import Flask, Response, current_app, request
from flask.globals import request_ctx
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, Session

from lms.core.prepared import AUTOCOMMITTED, end_reads
from lms.extensions import db

_WROTE = "lms_wrote"
_KEEP = "lms_keep_on_refusal"
logger = logging.getLogger(__name__)
_CHANGED = "lms_changed_rows"


def _mark_changed(conn, cursor, statement, parameters, context, executemany) -> None:
    """On the connection: a statement other than a SELECT that changed rows (or whose count is unknown, -1)."""
    if cursor.rowcount != 0 and statement.lstrip()[:6].upper() != "SELECT":
        conn.info[_CHANGED] = True


def _forget_changes(conn) -> None:
    if conn.invalidated or conn.closed:
        return  # a connection the server dropped: its record goes with it
    with suppress(Exception):  # never let the bookkeeping fail a rollback
        conn.info.pop(_CHANGED, None)


def _changed_rows(session: Session) -> bool:
    """Whether the session's transaction changed any row (conservatively: any non-SELECT not known to match none,
    and anything unknown). Never opens a connection: a refusal may be the answer to a database that is down."""
    transaction = session.get_transaction()
    connections = getattr(transaction, "_connections", None)
    if connections is None:
        return True
    try:
        return any(entry[0].info.get(_CHANGED) for entry in connections.values())
    except Exception:  # noqa: BLE001 - an invalidated connection: roll back
        return True


def _mark_flush(session: Session, flush_context) -> None:
    session.info[_WROTE] = True


def _mark_execute(state: ORMExecuteState) -> None:
    if not state.is_select:
        state.session.info[_WROTE] = True


def _clear(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released or rolled back: the request's transaction (and its writes) goes on
    session.info.pop(_WROTE, None)
    session.info.pop(_KEEP, None)


_READS_ONLY = "lms_reads_only"
_READ_METHODS = frozenset({"GET", "HEAD"})
#: On a view marked ``one_statement_write``: when its request runs in autocommit.
_ONE_WRITE = "lms_one_statement_write"


def reads_only(view):
    """Mark a view that only reads: on GET and HEAD its statements run in autocommit (see the module's note).

    Put it right under the route decorator; the mark is an attribute, which ``functools.wraps`` carries outward."""
    setattr(view, _READS_ONLY, True)
    return view


def _begin_reads() -> None:
    """before_request: a reads-only view's request will take its connection in autocommit (``lms.core.prepared``, when
    the session first takes one; a database that is down fails there, in the view, as it would without the mark).
    A session already in a transaction (a test's or a command's) keeps it."""
    if request.method not in _READ_METHODS:
        return
    view = current_app.view_functions.get(request.endpoint)
    if view is not None and getattr(view, _READS_ONLY, False):
        session = db.session()
        if not session.in_transaction():
            session.info[AUTOCOMMITTED] = True


def one_statement_write(when: Callable[[], bool]):
    """Mark a view whose request, when ``when()`` says so, writes in one atomic statement and nothing else: it
    then runs in autocommit, as a ``reads_only`` view's GET does (see the module's note). ``when`` is asked before
    the view runs (the request's headers and body, no statement) and must answer true only for a request whose
    every path

    - sends at most one statement that changes rows (bookkeeping aside), and that statement is atomic by itself
      (one ``INSERT``/``UPDATE``, data-modifying CTEs included);
    - holds its rules in the statement's condition; what it reads before (who is asking, the window) it reads
      without a lock, as it would in a READ COMMITTED transaction, where those reads guard nothing more;
    - refuses only when that statement wrote nothing (it matched no row, or was never sent), so that a refusal
      changes nothing;
    - takes no lock and opens no savepoint (an ``Idempotency-Key``'s claim does: such a request keeps its
      transaction).

    Such a request is as atomic as in a READ COMMITTED transaction of its own (each statement sees its own snapshot
    either way), and a refusal changes nothing. It saves the ``BEGIN`` and ``COMMIT`` round trips and the
    session's commit, and holds the write's row lock for the statement only. The one difference: an exception
    after the write (a fault in building the answer from the returned row) leaves the write committed."""
    def mark(view):
        setattr(view, _ONE_WRITE, when)
        return view
    return mark


def _begin_one_write() -> None:
    """before_request: a ``one_statement_write`` view's request that its ``when`` admits takes its connection in
    autocommit, as ``_begin_reads`` does for reads (a session already in a transaction keeps it)."""
    if request.method in _READ_METHODS:
        return
    view = current_app.view_functions.get(request.endpoint)
    when = getattr(view, _ONE_WRITE, None)
    if when is not None and when():
        session = db.session()
        if not session.in_transaction():
            session.info[AUTOCOMMITTED] = True


def bookkeeping(connection, statement, parameters) -> None:
    """Send a write that records how the app was used (a token's last use), not what the request changes: it does
    not count as a change, so a refusal that changed nothing else still ends with ``COMMIT`` and keeps it (and the
    connection's prepared statements), while a refusal that changed something rolls it back with the rest."""
    changed = connection.info.get(_CHANGED)
    connection.execute(statement, parameters)
    if not changed:
        connection.info.pop(_CHANGED, None)


def keep_writes_on_refusal() -> None:
    """Commit this request's writes even though its response is a refusal (status >= 400)."""
    db.session().info[_KEEP] = True


def discard_writes() -> None:
    """Undo what this request wrote so far, before it answers a refusal with a redirect (POST-redirect-GET): the
    redirect commits, and a refusal must change nothing (what is written after this call, e.g. the typed text kept
    for the page after the redirect, is committed)."""
    db.session.rollback()


def has_pending_writes(session: Session) -> bool:
    return bool(session.info.get(_WROTE) or session.new or session.dirty or session.deleted)


def finish_request(response: Response) -> Response:
    """after_request: commit the request's writes on success, roll them back on a refusal."""
    if not db.session.registry.has():
        return response  # the request never used the database
    session = db.session()
    if session.info.pop(AUTOCOMMITTED, False) and _owns_session() and not (session.new or session.dirty or
                                                                           session.deleted):
        # Autocommit: each statement committed itself, and the session ends with the request, which returns its
        # connection to the pool. Nothing to commit; nothing to roll back either, whatever the status.
        return response
    if response.status_code < 400 or session.info.pop(_KEEP, False):
        if session.in_transaction() or has_pending_writes(session):
            try:
                _commit(session)
            except Exception:
                session.rollback()
                raise
    elif session.in_transaction():
        if not (session.new or session.dirty or session.deleted) and session.is_active and not _changed_rows(session):
            # A refusal that changed no row (a 409 seat_full: its UPDATE matched none): COMMIT and ROLLBACK are the
            # same here, and COMMIT keeps the connection's prepared statements (see above).
            try:
                _commit(session)
                return response
            except Exception:  # noqa: BLE001 - e.g. the database went away: the refusal stands, roll back below
                logger.warning("a refusal's read-only transaction did not commit; rolling back", exc_info=True)
        session.rollback()
    return response


def _owns_session() -> bool:
    """Whether this request pushed its own app context (as it does under a WSGI server): its session is then
    removed when the request ends, and nothing reads the instances it loaded after the boundary commits."""
    tokens = getattr(request_ctx._get_current_object(), "_cv_tokens", None)
    return bool(tokens) and tokens[-1][1] is not None


def _commit(session: Session) -> None:
    """Commit; without expiring the loaded instances when the session ends with the request (expiring is for a
    session that goes on: one a test or a command keeps around several requests)."""
    if not _owns_session():
        session.commit()
        return
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def rollback_on_exception(exc: BaseException | None) -> None:
    """teardown_request: an exception that escaped every handler leaves nothing half-written. (And a session kept
    after the request does not take its next connection in the request's autocommit.)"""
    if exc is not None:
        db.session.rollback()
    if db.session.registry.has():
        session = db.session()
        session.info.pop(AUTOCOMMITTED, None)
        end_reads(session)


def init_app(app: Flask) -> None:
    # Listen on the Session class (once per process; listeners are not duplicated by a second app).
    if not event.contains(Session, "after_flush", _mark_flush):
        event.listen(Session, "after_flush", _mark_flush)
        event.listen(Session, "do_orm_execute", _mark_execute)
        event.listen(Session, "after_commit", _clear)
        event.listen(Session, "after_rollback", _clear)
    if not event.contains(Engine, "after_cursor_execute", _mark_changed):
        event.listen(Engine, "after_cursor_execute", _mark_changed)
        event.listen(Engine, "commit", _forget_changes)
        event.listen(Engine, "rollback", _forget_changes)
    app.before_request(_begin_reads)
    app.before_request(_begin_one_write)
    app.after_request(finish_request)
    app.teardown_request(rollback_on_exception)
