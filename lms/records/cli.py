"""`lms xapi ...` and `lms credentials ...`."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import AppGroup

from lms.cohorts.services import find_cohort, find_enrollment
from lms.core.errors import DomainError
from lms.core.time import now_utc
from lms.extensions import db
from lms.records import credentials, keys, outbox
from lms.records.backfill import backfill_cohort

xapi_cli = AppGroup("xapi", help="Pernyataan xAPI ke LRS (xAPI statements).")
credentials_cli = AppGroup("credentials", help="Kredensial kelulusan (completion credentials).")


def _cohort(code: str):
    try:
        return find_cohort(code)
    except DomainError as exc:
        raise click.ClickException(str(exc.message)) from exc


@xapi_cli.command("backfill")
@click.option("--cohort", "code", required=True, help="Cohort code, e.g. PGT2024-T1.")
def backfill_command(code: str) -> None:
    """Write the statements of the cohort's past events to the outbox (idempotent)."""
    if not outbox.enabled():
        raise click.ClickException("LMS_XAPI_ENDPOINT is not set: xAPI is off.")
    written = backfill_cohort(_cohort(code), now=now_utc())
    db.session.commit()
    click.echo(f"{code}: {written} new statement(s) queued")


@xapi_cli.command("deliver")
def deliver_command() -> None:
    """One delivery pass (the periodic task runs the same code)."""
    sent = outbox.deliver_pending(now=now_utc())
    db.session.commit()
    click.echo(f"{sent} statement(s) delivered")


@xapi_cli.command("retry")
@click.option("--resend-sent", is_flag=True, help="Also send again the statements already delivered.")
def retry_command(resend_sent: bool) -> None:
    """Put the dead-letter statements back in the queue."""
    queued = outbox.retry(now=now_utc(), resend_sent=resend_sent)
    db.session.commit()
    click.echo(f"{queued} statement(s) queued again")


@xapi_cli.command("status")
def status_command() -> None:
    click.echo(json.dumps(outbox.counts()))


@credentials_cli.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify_command(file: Path) -> None:
    """Verify a credential (the VC-JWT text): signature, issuer, masked subject, revocation."""
    now = now_utc()
    result = credentials.verify(file.read_text(encoding="utf-8", errors="replace"), jwks=keys.public_jwks(),
                                status_list=credentials.status_list_jwt(now), now=now)
    click.echo(json.dumps(result.__dict__, ensure_ascii=False, indent=2))
    if not result.valid:
        raise SystemExit(1)


@credentials_cli.command("rotate-key")
def rotate_key_command() -> None:
    """Add a new signing key; credentials signed with the older keys stay verifiable."""
    click.echo(keys.rotate(now_utc()))


@credentials_cli.command("revoke")
@click.argument("code")
@click.argument("email")
@click.option("--reason", required=True)
def revoke_command(code: str, email: str, reason: str) -> None:
    """Take a participant's completion away (an admin correction): revokes the credential."""
    try:
        enrollment = find_enrollment(_cohort(code), email)
    except DomainError as exc:
        raise click.ClickException(str(exc.message)) from exc
    revoked = credentials.revoke(enrollment, reason=reason, now=now_utc(), actor_id=None)
    db.session.commit()
    click.echo(f"{revoked} credential(s) revoked")
