"""`lms selection ...`: import a pool, masa kerja, check, run, publish, and dinas regions.

A pool imported once (``lms selection import FILE``, listed by ``lms selection pools``) is run by its id under any
policy or quota: ``lms selection run --pool-id ID``. ``--pool FILE`` runs a file directly.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from lms.auth import services as auth_services
from lms.cohorts.services import find_cohort
from lms.core.errors import DomainError
from lms.core.input import MAX_ID
from lms.core.regions import PROVINCES
from lms.core.time import now_utc
from lms.extensions import db
from lms.selection import pools, removal, runs
from lms.selection.check import check_command
from lms.selection.determination import determination_in_run
from lms.selection.masa_kerja import masa_kerja_command
from lms.selection.models import SelectionRun
from lms.selection.publish import publish

selection_cli = AppGroup("selection", help="Penetapan peserta (determining participants).")
selection_cli.add_command(masa_kerja_command)
selection_cli.add_command(check_command)


@selection_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_pool(file: Path) -> None:
    """Check a candidate pool (JSON Lines) and keep it for runs: every line must be good, or nothing is kept."""
    try:
        pool, check = pools.import_pool(file, now=now_utc())
    except pools.PoolMalformed as exc:
        lines = exc.details["lines"]
        for error in lines:
            click.echo(f"line {error['line']}: {'; '.join(error['reasons'])}", err=True)
        raise click.ClickException(f"{len(lines)} malformed line(s) reported; nothing was imported") from exc
    db.session.commit()
    click.echo(f"pool {pool.id} imported: {pool.filename}, {pool.candidates} candidate(s) (sha256 {pool.sha256}); "
               f"run it with `lms selection run --pool-id {pool.id} ...`")


@selection_cli.command("pools")
def list_pools() -> None:
    """The imported pools: id, candidates, file name, import time."""
    for pool in pools.stored_pools():
        click.echo(f"{pool.id}\t{pool.candidates}\t{pool.filename}\t{pool.imported_at.isoformat()}")


@selection_cli.command("run")
@click.option("--policy", required=True, help="pgt2024, sg2016-pf-plpg, sg2016-ppg, or sg2016 (per candidate).")
@click.option("--pool", "pool", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A pool file (JSON Lines).")
@click.option("--pool-id", "pool_id", type=click.IntRange(min=1, max=MAX_ID),
              help="An imported pool (lms selection import / lms selection pools).")
@click.option("--quota", "quota", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CSV kode_kabkota,kuota (2016 policies).")
@click.option("--total", type=click.IntRange(min=1, max=MAX_ID), help="National quota (2024).")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), help="Reference date.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
def run_command(policy: str, pool: Path | None, pool_id: int | None, quota: Path | None, total: int | None, as_of,
                out: Path) -> None:
    """Determine participants; writes rank, nik, nama, kode_kabkota, status, alasan. Runs are stored."""
    if (pool is None) == (pool_id is None):
        raise click.UsageError("give either --pool FILE or --pool-id ID")
    name = None
    if pool_id is not None:
        try:
            stored = pools.find_pool(pool_id)
            pool, name = pools.stored_file(stored), stored.filename
        except DomainError as exc:
            raise click.ClickException(str(exc.message)) from exc
    inputs = runs.RunInputs(policy=policy, pool=pool, quota=quota, total=total,
                            as_of=as_of.date() if as_of else None, pool_id=pool_id, pool_name=name)
    try:
        run = runs.run_selection(inputs, now=now_utc())
    except runs.SelectionInputError as exc:
        raise click.ClickException(str(exc)) from exc
    if run.status != "done" and run.failure_reason:
        raise click.ClickException(f"run {run.id} failed: {run.failure_reason}; nothing was determined")
    if run.status != "done":
        for error in run.errors:
            click.echo(f"line {error['line']}: {'; '.join(error['reasons'])}", err=True)
        raise click.ClickException(f"run {run.id} failed: malformed or duplicate lines; nothing was determined")
    with open(out, "w", newline="", encoding="utf-8") as f:
        rows = runs.write_output(run, f)
    counts = run.counts
    click.echo(f"run {run.id} input_hash={run.input_hash} rows={rows} "
               + " ".join(f"{k}={v}" for k, v in sorted(counts.items())))


@selection_cli.command("publish")
@click.argument("run_id", type=int)
@click.option("--cohort", "code", required=True)
@click.option("--allow-placeholder", is_flag=True,
              help="Publish a run built on a placeholder policy anyway (recorded in the audit log).")
def publish_command(run_id: int, code: str, allow_placeholder: bool) -> None:
    """Publish a run's determined list as the roster of a cohort (the roster import, whole or nothing)."""
    run = db.session.get(SelectionRun, run_id)
    if run is None:
        raise click.ClickException(f"no run {run_id}")
    try:
        job = publish(run, find_cohort(code), now=now_utc(), actor_id=None, allow_placeholder=allow_placeholder)
    except DomainError as exc:
        raise click.ClickException(str(exc.message)) from exc
    if job.status != "done":
        raise click.ClickException(f"the roster import failed: {job.file_error or job.error_count}")
    db.session.commit()
    if runs.uses_placeholder_policy(run):
        click.echo(f"warning: run {run_id} uses a placeholder policy; published with --allow-placeholder", err=True)
    click.echo(f"run {run_id} published to {code}: {job.stats}")


def _area_command(name: str, role: str, metavar: str, doc: str, *, what: str = "", check=None) -> None:
    """``lms selection NAME EMAIL CODE``, one implementation for each kind of region: tie an account to a region
    (``DinasRegion``), granting ``role`` if needed; ``check`` refuses a code (it returns why) before anything is
    written."""

    @selection_cli.command(name, help=doc)
    @click.argument("email")
    @click.argument("code", metavar=metavar)
    def command(email: str, code: str) -> None:
        if check and (problem := check(code)):
            raise click.ClickException(problem)
        now = now_utc()
        try:
            user = auth_services.get_or_create_account(email, now=now,
                                                       allowed_domains=current_app.config["ALLOWED_EMAIL_DOMAINS"])
            auth_services.grant_role(user, role, now=now)
        except DomainError as exc:
            raise click.ClickException(str(exc.message)) from exc
        removal.assign_region(user, code)
        db.session.commit()
        click.echo(f"{user.email}: {role} for {what}{code}")


_area_command("assign-region", "dinas", "KODE_KABKOTA",
              "Let a dinas user act for a kab/kota (grants the dinas role if needed).")
_area_command("assign-province", "lpmp", "KODE_PROVINSI",
              "Let an LPMP user read the progress reports of a province (grants the lpmp role if needed).",
              what="province ",
              check=lambda code: None if code in PROVINCES else f"unknown province code {code!r} (2 digits, e.g. 73)")


@selection_cli.command("explain")
@click.argument("run_id", type=click.IntRange(min=1, max=MAX_ID))
@click.argument("nik")
def explain_command(run_id: int, nik: str) -> None:
    """Print a candidate's determination in a run and its explanation (the same text the teacher sees)."""
    result = determination_in_run(run_id, nik)
    if result.status is None:
        raise click.ClickException(f"the NIK is not listed in run {run_id}")
    click.echo(f"status: {result.status}")
    click.echo(f"rank: {result.rank if result.rank is not None else '-'}")
    click.echo(f"quota_group: {result.quota_group} ({result.quota_group_name})")
    click.echo(f"quota: {result.quota if result.quota is not None else '-'}")
    click.echo(f"cut_off_rank: {result.cut_off_rank if result.cut_off_rank is not None else '-'}")
    for unmet in result.unmet:
        click.echo(f"unmet: {unmet.rule}: {unmet.message}")
    click.echo(result.explanation)
