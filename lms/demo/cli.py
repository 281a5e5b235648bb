"""`lms demo`: the demo cohorts, curriculum and accounts."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from lms.core.time import now_utc
from lms.demo.data import DEMO_ROLES, generate_participants, load_demo, more_demo_cohorts
from lms.demo.selection import load_demo_selection
from lms.extensions import db


@click.command("demo")
@click.option("--participants", type=click.IntRange(min=0), default=0,
              help="Also generate N synthetic participants with varied progress in the DEMO cohort.")
@click.option("--cohorts", type=click.IntRange(min=1, max=9), default=1,
              help="Spread the N participants evenly over this many open demo cohorts: DEMO, then DEMO-2 … "
                   "(created with DEMO's window and curriculum; one that exists keeps its own window).")
@with_appcontext
def demo_command(participants: int, cohorts: int) -> None:
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
        targets = [demo, *more_demo_cohorts(demo, cohorts - 1)]
        db.session.commit()
        for index, cohort in enumerate(targets):
            share = participants // len(targets) + (1 if index < participants % len(targets) else 0)
            made = generate_participants(cohort, share, now=now, seed=2024 + index)
            db.session.commit()
            click.echo(f"{made} synthetic participants added to {cohort.code}")
