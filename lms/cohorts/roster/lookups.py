"""Which NIK hashes of a batch are on the roster of the programme year already, looked up one batch ahead.

On PostgreSQL, when the year held more than one batch of entries as the import began (a re-import, a second
cohort), each batch's hashes are probed in the index (``KNOWN_SQL``: 70-120 ms for 5 000 rows). ``LookAhead``
sends batch N's probe from a worker thread, on a connection of its own, while the importing thread encrypts and
copies batch N-1 and reads batch N+1: the server's index probes and the process's Python work overlap instead of
taking turns. At most three batches are held (the one being written, the one being looked up, the one being read).

The look-ups read only ``roster_entries``, which staging never writes (the apply phase does, after the last
batch): a look-up sees the same entries whether it runs before or after the batches ahead of it are staged. Each
is one statement on an AUTOCOMMIT connection, so it sees what was committed when it ran, as the look-up in the
session's own transaction of each batch did; a NIK repeated in the file, in one batch or in two, is looked up
and staged as before and left to the checks across rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

#: One index probe per hash, whatever the planner thinks of a large ``= ANY(...)`` (it prefers a scan of the whole
#: year, and its statistics are stale right after a big import). The hashes (hex) go as one comma-separated text:
#: the driver's array adaptation cost more than the query.
KNOWN_SQL = text(
    "SELECT e.nik_hash FROM unnest(string_to_array(:hashes, ',')) AS h(nik_hash) CROSS JOIN LATERAL "
    "(SELECT nik_hash FROM roster_entries WHERE programme_year = :year AND nik_hash = h.nik_hash LIMIT 1) e")


def known_hashes(connection: Connection, programme_year: int, hashes: Iterable[str]) -> set[str]:
    """PostgreSQL: which of ``hashes`` are on the roster of ``programme_year``, in one statement."""
    joined = ",".join(hashes)
    if not joined:
        return set()
    return set(connection.execute(KNOWN_SQL, {"hashes": joined, "year": programme_year}).scalars())


class LookAhead:
    """``known_hashes`` of the batches submitted, each run in turn by one worker thread on one connection.

    A context manager: leaving it (normally, on an error, on KeyboardInterrupt) drops the look-ups not yet begun,
    waits for the one running (a single statement) and closes the connection, so neither the thread nor the
    connection outlives the import. The connection is a pooled one of the application's engine (its settings and
    connect hooks apply) in AUTOCOMMIT, which the pool undoes when it takes the connection back; the session's own
    connection stays busy with the COPY and commit of each batch."""

    def __init__(self, engine: Engine, programme_year: int):
        self._engine, self._year = engine, programme_year
        self._connection: Connection | None = None
        self._executor: ThreadPoolExecutor | None = None

    def __enter__(self) -> LookAhead:
        # The executor starts its thread at the first ``submit``: a failed connect leaves nothing to clean up.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="roster-lookup")
        self._connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self

    def submit(self, hashes: list[str]) -> Future[set[str]]:
        """Start (after the look-ups before it) the look-up of ``hashes``; its result or error is the future's."""
        return self._executor.submit(known_hashes, self._connection, self._year, hashes)

    def __exit__(self, *exc_info) -> None:
        try:
            if self._executor is not None:
                self._executor.shutdown(wait=True, cancel_futures=True)
        finally:
            if self._connection is not None:
                self._connection.close()
            self._executor = self._connection = None
