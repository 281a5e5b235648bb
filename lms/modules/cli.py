"""`lms curriculum import FILE`."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from lms.core.cli import echo_errors
from lms.core.errors import Invalid
from lms.extensions import db
from lms.modules.curriculum_file import import_curriculum, parse_curriculum

curriculum_cli = AppGroup("curriculum", help="Kurikulum (curricula).")


@curriculum_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(file: Path) -> None:
    """Import a curriculum YAML file (create, or update by its code). Nothing changes if it has errors."""
    try:
        source = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise click.ClickException("Berkas harus berenkode UTF-8 (file must be UTF-8).") from exc
    try:
        curriculum, outcome = import_curriculum(parse_curriculum(source))
    except Invalid as exc:
        db.session.rollback()
        echo_errors(exc)
        raise SystemExit(1) from exc
    db.session.commit()
    click.echo(f"{curriculum.code}: {outcome} ({len(curriculum.modules)} modules)")
