"""The JSON API under /api/v1: bearer tokens or the browser session, JSON errors, an OpenAPI 3 document."""

from __future__ import annotations

from flask import Flask

from lms.access import api as access_api  # noqa: F401
from lms.api import me, openapi  # noqa: F401 - each module attaches its routes to the blueprint
from lms.api.blueprint import bp
from lms.auth import api as auth_api  # noqa: F401
from lms.cohorts import api as cohorts_api  # noqa: F401
from lms.extensions import csrf
from lms.helpdesk import api as helpdesk_api  # noqa: F401
from lms.modules import api as modules_api  # noqa: F401
from lms.selection import api as selection_api  # noqa: F401
from lms.ukppg import api as ukppg_api  # noqa: F401


def register(app: Flask) -> None:
    csrf.exempt(bp)
    app.register_blueprint(bp)
