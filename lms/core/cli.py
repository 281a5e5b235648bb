"""`lms demo`: demo accounts and roles (cohorts and curricula join as their domains arrive)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from lms.auth import services as auth_services
from lms.core.time import now_utc
from lms.extensions import db

DEMO_ROLES = {
    "guru.demo@guru.sd.belajar.id": ("guru",),
    "admin.demo@belajar.id": ("admin_angkatan",),
    "bantuan.demo@belajar.id": ("helpdesk",),
    "super.demo@belajar.id": ("superadmin",),
}


def load_demo(now) -> None:
    allowed = current_app.config["ALLOWED_EMAIL_DOMAINS"]
    for email, roles in DEMO_ROLES.items():
        user = auth_services.get_or_create_account(email, now=now, allowed_domains=allowed)
        for role in roles:
            auth_services.grant_role(user, role, now=now)


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the demo accounts (idempotent)."""
    load_demo(now_utc())
    db.session.commit()
    click.echo("Demo data loaded: " + ", ".join(DEMO_ROLES))
