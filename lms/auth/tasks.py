"""Periodic clean-up of what logins leave behind."""

from __future__ import annotations

from celery import shared_task

from lms.auth import stash
from lms.core.time import now_utc
from lms.extensions import db


@shared_task(name="auth.purge_form_stashes")
def purge_form_stashes() -> int:
    """Delete refused-form stashes past their lifetime."""
    purged = stash.purge(now_utc())
    db.session.commit()
    return purged
