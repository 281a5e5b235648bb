"""`lms users ...` and `lms tokens ...`."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from lms.auth import services
from lms.core.errors import DomainError
from lms.core.time import now_utc
from lms.extensions import db

users_cli = AppGroup("users", help="Akun dan peran (accounts and roles).")
tokens_cli = AppGroup("tokens", help="Token API pribadi (personal API tokens).")


def _fail(exc: DomainError) -> None:
    db.session.rollback()
    raise click.ClickException(str(exc.message))


@users_cli.command("grant")
@click.argument("email")
@click.argument("role")
def grant(email: str, role: str) -> None:
    """Give ROLE to EMAIL, creating the account (linked on first login) when needed."""
    now = now_utc()
    try:
        user = services.get_or_create_account(email, now=now,
                                              allowed_domains=current_app.config["ALLOWED_EMAIL_DOMAINS"])
        changed = services.grant_role(user, role, now=now)
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"{user.email}: {role} {'granted' if changed else 'already held'}")


@users_cli.command("revoke")
@click.argument("email")
@click.argument("role")
def revoke(email: str, role: str) -> None:
    """Take ROLE away from EMAIL."""
    try:
        user = services.find_user(email)
    except DomainError as exc:
        _fail(exc)
    changed = services.revoke_role(user, role, now=now_utc())
    db.session.commit()
    click.echo(f"{user.email}: {role} {'revoked' if changed else 'not held'}")


@users_cli.command("show")
@click.argument("email")
def show(email: str) -> None:
    """Print an account's roles and identities."""
    try:
        user = services.find_user(email)
    except DomainError as exc:
        _fail(exc)
    click.echo(f"{user.email}\t{user.name}\troles={','.join(user.roles) or '-'}\t"
               f"identities={len(user.identities)}\tactive={user.active}")


@tokens_cli.command("create")
@click.argument("emails", nargs=-1, required=True)
@click.option("--days", type=int, default=None, help="Days until the token expires (default 30).")
def create(emails: tuple[str, ...], days: int | None) -> None:
    """Print one line `EMAIL TOKEN` per e-mail. Accounts missing are created, linked on first login."""
    now = now_utc()
    days = days or current_app.config["API_TOKEN_DEFAULT_DAYS"]
    lines = []
    try:
        for email in emails:
            user = services.get_or_create_account(email, now=now,
                                                  allowed_domains=current_app.config["ALLOWED_EMAIL_DOMAINS"])
            _, token = services.create_token(user, days=days, now=now)
            lines.append(f"{user.email} {token}")
    except DomainError as exc:
        _fail(exc)
    db.session.commit()  # all or nothing: no token is printed unless every e-mail was accepted
    click.echo("\n".join(lines))


@tokens_cli.command("revoke")
@click.argument("email")
@click.option("--id", "token_id", type=int, default=None, help="Only this token (default: all of the account's).")
def revoke_tokens(email: str, token_id: int | None) -> None:
    """Revoke an account's tokens."""
    try:
        user = services.find_user(email)
    except DomainError as exc:
        _fail(exc)
    count = services.revoke_tokens(user, now=now_utc(), token_id=token_id)
    db.session.commit()
    click.echo(f"{count} token(s) revoked for {user.email}")
