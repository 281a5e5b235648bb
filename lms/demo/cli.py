"""`lms demo`: the demo cohorts, curriculum and accounts."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from lms.core.time import now_utc
from lms.demo.data import DEMO_ROLES, generate_participants, load_demo
from lms.demo.selection import load_demo_selection
from lms.extensions import db


@click.command("demo")
@click.option("--participants", type=click.IntRange(min=0), default=0,
              help="Also generate N synthetic participants with varied progress in the DEMO cohort.")
@with_appcontext
def demo_command(participants: int) -> None:
    """Load the demo cohorts, curriculum and accounts (idempotent)."""
    now = now_utc()
    demo = load_demo(now, allowed_domains=current_app.config["ALLOWED_EMAIL_DOMAINS"])
    db.session.commit()
    run = load_demo_selection(Path(current_app.instance_path) / "demo", now=now)
    db.session.commit()
    if run is not None:
        click.echo(f"Demo selection run {run.id}: " + " ".join(f"{k}={v}" for k, v in sorted(run.counts.items())))
    click.echo(f"Demo data loaded: cohorts PGT2024-T1, PGT2024-T2, PGT2024-DJ, DEMO "
               f"({demo.learning_start} – {demo.learning_end}); accounts {', '.join(DEMO_ROLES)}")
    if participants:
        made = generate_participants(demo, participants, now=now)
        db.session.commit()
        click.echo(f"{made} synthetic participants added to DEMO")
