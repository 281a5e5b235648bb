"""``celery -A lms.celery_app:celery worker`` (or ``lms worker``) runs the app's Celery.

The ``celery`` attribute is built on first access (PEP 562), so importing this module creates no app.
"""

from __future__ import annotations

from lms import create_app


def __getattr__(name: str):
    if name == "celery":
        app = create_app()
        globals()["celery"] = app.extensions["celery"]
        return globals()["celery"]
    raise AttributeError(name)
