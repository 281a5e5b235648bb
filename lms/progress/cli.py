"""`lms progress rebuild [--cohort CODE]` and `lms progress verify [--cohort CODE]`."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from lms.cohorts.models import Cohort
from lms.extensions import db
from lms.progress.rebuild import differences, rebuild

progress_cli = AppGroup("progress", help="Ringkasan progres peserta (progress read model).")


def _cohort_id(code: str | None) -> int | None:
    if code is None:
        return None
    cohort_id = db.session.scalar(select(Cohort.id).where(Cohort.code == code))
    if cohort_id is None:
        raise click.ClickException(f"Angkatan {code} tidak ditemukan (unknown cohort).")
    return cohort_id


@progress_cli.command("rebuild")
@click.option("--cohort", "code", help="Kode angkatan (default: semua).")
def rebuild_command(code: str | None) -> None:
    """Recompute the summary rows from the raw rows (set-based, one statement)."""
    written = rebuild(_cohort_id(code))
    db.session.commit()
    click.echo(f"{written} baris ringkasan ditulis ulang (summary rows rebuilt).")


@progress_cli.command("verify")
@click.option("--cohort", "code", help="Kode angkatan (default: semua).")
def verify_command(code: str | None) -> None:
    """List every enrollment whose summary row differs from the raw rows; exit 1 when any does."""
    found = differences(_cohort_id(code))
    db.session.rollback()
    for difference in found:
        shown = ", ".join(f"{column}: {kept} != {truth}" for column, (kept, truth) in difference.columns.items())
        click.echo(f"enrollment {difference.enrollment_id}: {shown}")
    if found:
        click.echo(f"{len(found)} peserta berbeda (enrollments differ).", err=True)
        raise SystemExit(1)
    click.echo("Ringkasan progres sesuai (summary matches the raw rows).")
