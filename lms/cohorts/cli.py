"""`lms roster import`, `lms windows enforce`, `lms reminders send`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
from flask.cli import AppGroup

from lms.cohorts import enforcement, reminders, roster
from lms.cohorts.services import find_cohort
from lms.core.errors import DomainError
from lms.core.time import now_utc
from lms.extensions import db

roster_cli = AppGroup("roster", help="Daftar peserta (rosters).")
windows_cli = AppGroup("windows", help="Jadwal angkatan (cohort windows).")
reminders_cli = AppGroup("reminders", help="Pengingat (reminders).")


def parse_now(value: str | None) -> datetime:
    if not value:
        return now_utc()
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO-8601 instant: {value}") from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


@roster_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--cohort", "code", required=True, help="Cohort code, e.g. PGT2024-T1.")
def import_command(file: Path, code: str) -> None:
    """Import a roster CSV (nik, nama, email, npsn, satuan_pendidikan, kode_kabkota): all rows or none."""
    try:
        cohort = find_cohort(code)
    except DomainError as exc:
        raise click.ClickException(str(exc.message)) from exc
    now = now_utc()
    job = roster.create_import(cohort, file.name, now=now)
    db.session.commit()

    def progress(job):
        click.echo(f"  {job.rows_read} rows read", err=True)

    with open(file, "rb") as stream:
        job = roster.run_import(job, stream, now=now, on_progress=progress)
    if job.status == "done":
        stats = job.stats
        click.echo(f"{cohort.code}: {job.rows_total} rows imported — {stats['inserted']} new, {stats['updated']} "
                   f"updated, {stats['unchanged']} unchanged; {stats['accounts_created']} accounts and "
                   f"{stats['enrollments_created']} enrollments created")
        return
    click.echo(f"Error: nothing was imported from {file.name}.", err=True)
    if job.file_error:
        click.echo(f"  {roster.translate_reason(job.file_error)}", err=True)
    else:
        click.echo(f"  {job.error_count} bad row(s):", err=True)
        for error in roster.errors_of(job, limit=None):
            click.echo(f"  line {error['line']}: {error['reason']}", err=True)
    raise SystemExit(1)


@windows_cli.command("enforce")
@click.option("--now", "at", default=None, help="Run as of this ISO-8601 instant (default: the clock).")
def enforce_command(at: str | None) -> None:
    """One enforcement pass: the same code the periodic task runs."""
    result = enforcement.enforce_windows(now=parse_now(at))
    db.session.commit()
    click.echo(" ".join(f"{k}={v}" for k, v in result.as_dict().items()))


@reminders_cli.command("send")
@click.option("--now", "at", default=None, help="Run as of this ISO-8601 instant (default: the clock).")
def reminders_command(at: str | None) -> None:
    """One reminder pass (H-7, H-3, H-1), as the periodic task runs it."""
    counts = reminders.send_reminders(now=parse_now(at))
    db.session.commit()
    click.echo(" ".join(f"{k}={v}" for k, v in counts.items()))
