"""`lms ukppg import-sites FILE`."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from lms.core.cli import echo_errors
from lms.core.errors import Invalid
from lms.extensions import db
from lms.ukppg.sites import decode_sites, import_sites, parse_sites

ukppg_cli = AppGroup("ukppg", help="UKPPPG: TUK dan sesi ujian (exam sites and sessions).")


@ukppg_cli.command("import-sites")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_sites_command(file: Path) -> None:
    """Import exam sites and sessions: site, kode_kabkota, address, date, start, seats."""
    try:
        stats = import_sites(parse_sites(decode_sites(file.read_bytes())))
    except Invalid as exc:
        db.session.rollback()
        echo_errors(exc)
        raise SystemExit(1) from exc
    db.session.commit()
    click.echo(" ".join(f"{k}={v}" for k, v in stats.items()))
