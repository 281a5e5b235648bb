"""Helpers every domain's commands share."""

from __future__ import annotations

import click

from lms.core.errors import Invalid


def echo_errors(exc: Invalid) -> None:
    """A refusal's message and its details (``path: reason``), on stderr."""
    click.echo(f"Error: {exc.message}", err=True)
    for path, reason in exc.details.items():
        click.echo(f"  {path}: {reason}", err=True)
