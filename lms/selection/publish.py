"""Publishing a run: its ``ditetapkan`` list becomes a cohort's roster, through the same import as SPEC §6."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, text, update

from lms.cohorts.models import Cohort
from lms.cohorts.roster import COLUMNS, create_import, run_import
from lms.cohorts.roster_models import RosterImport
from lms.core import audit, csvsafe
from lms.core.errors import DomainError, Invalid
from lms.core.nik import decrypt_nik
from lms.extensions import db
from lms.selection.models import SelectionEntry, SelectionRun
from lms.selection.notices import queue_notices
from lms.selection.runs import uses_placeholder_policy


class PlaceholderPolicy(DomainError):
    """The run was built on a policy whose data is a stand-in: publishing it needs an explicit override."""

    code = "placeholder_policy"
    status = 409
    message = _l("Penetapan ini memakai kebijakan dengan data placeholder (bukan data resmi), sehingga tidak "
                 "diterbitkan. Jika tetap ingin menerbitkannya, centang konfirmasi penerbitan data placeholder "
                 "(atau gunakan --allow-placeholder / allow_placeholder: true); persetujuan itu dicatat di log audit.")


class _RosterStream(io.RawIOBase):
    """The run's determined list as roster CSV bytes, produced while the import reads (fixed memory)."""

    def __init__(self, run: SelectionRun):
        self._rows = self._generate(run)
        self._buffer = b""

    @staticmethod
    def _generate(run: SelectionRun):
        out = io.StringIO()
        writer = csvsafe.writer(out)  # the roster import undoes the prefix (roster.reading.check_row)
        writer.writerow(COLUMNS)
        query = (select(SelectionEntry).where(SelectionEntry.run_id == run.id, SelectionEntry.status == "ditetapkan")
                 .order_by(SelectionEntry.quota_group, SelectionEntry.rank).execution_options(yield_per=2000))
        for entry in db.session.scalars(query):
            writer.writerow([decrypt_nik(entry.nik_encrypted), entry.nama, entry.email, entry.npsn,
                             entry.satuan_pendidikan or f"NPSN {entry.npsn}", entry.kode_kabkota])
            if out.tell() > 1 << 16:
                yield out.getvalue().encode()
                out.seek(0)
                out.truncate()
        yield out.getvalue().encode()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._rows, None)
            if chunk is None:
                break
            self._buffer += chunk
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


#: The first key of the advisory lock that serializes publications of a run (the second is the run's id).
PUBLISH_LOCK = 0x5E1EC7


@contextmanager
def _publishing(run_id: int) -> Iterator[None]:
    """Publications of one run, one at a time: a PostgreSQL advisory lock held, on a connection of its own, across
    the commits the roster import makes (a lock of the session's transaction would end at the first of them). It
    is released when that connection's transaction ends, even if this process dies. SQLite writes one at a time
    anyway."""
    if db.session.get_bind().dialect.name != "postgresql":
        yield
        return
    with db.engine.connect() as holder, holder.begin():
        holder.execute(text("SELECT pg_advisory_xact_lock(:space, :run_id)"),
                       {"space": PUBLISH_LOCK, "run_id": run_id})
        yield


def publish(run: SelectionRun, cohort: Cohort, *, now: datetime, actor_id: int | None,
            allow_placeholder: bool = False) -> RosterImport:
    """Import the run's ``ditetapkan`` list as the cohort's roster; on success mark the run published (flushed,
    the caller commits). Refusals change nothing; a failed import is kept as a job to read."""
    if run.status != "done":
        raise Invalid(_l("Hanya hasil penetapan yang selesai yang dapat diterbitkan."))
    placeholder = uses_placeholder_policy(run)
    if placeholder and not allow_placeholder:
        raise PlaceholderPolicy()
    # Concurrent publications of the run would import the same list at once, and all but one import would fail on
    # the rows another had just written: a later one waits here, then imports a roster already there (as a
    # republication does).
    with _publishing(run.id):
        job = create_import(cohort, f"penetapan-{run.id}.csv", now=now, actor_id=actor_id)
        db.session.commit()  # the import is a job: it commits as it goes, and a failed import stays readable
        job = run_import(job, _RosterStream(run), now=now)
        if job.status == "done":
            _mark_published(run, cohort, job, now=now, actor_id=actor_id, placeholder=placeholder)
    return job


def _mark_published(run: SelectionRun, cohort: Cohort, job: RosterImport, *, now: datetime, actor_id: int | None,
                    placeholder: bool) -> None:
    """Record the publication and queue its notices (flushed; the caller commits)."""
    # The run's row is locked until the caller commits, after the lock of ``_publishing`` is released: the next
    # publication's import may run meanwhile, but its notices wait for this one's (and find only what this one
    # did not claim). The first publication's date stays the announcement's date; later changes are listed after it.
    run_id = run.id
    db.session.execute(select(SelectionRun.id).where(SelectionRun.id == run_id).with_for_update())
    db.session.execute(update(SelectionRun).where(SelectionRun.id == run_id)
                       .values(published_cohort_id=cohort.id,
                               published_at=func.coalesce(SelectionRun.published_at, now)),
                       execution_options={"synchronize_session": False})
    db.session.expire(run)
    audit.record("selection.publish", "selection_run", run.id, actor_id=actor_id, now=now,
                 data={"cohort": cohort.code, "import_id": job.id, **(job.stats or {}),
                       "placeholder_policy": placeholder, "placeholder_override": placeholder})
    queue_notices(run_id, now=now)  # once per candidate and status, committed with the publication
    db.session.flush()  # the caller commits (the request boundary, or the CLI)
