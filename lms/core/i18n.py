"""Language choice: Bahasa Indonesia by default, English when chosen (cookie), or asked for by an API client."""

from __future__ import annotations

import os

from flask import current_app, has_request_context, request
from flask_babel import get_locale

LANG_COOKIE = "lms_lang"


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        # Command line and tasks: LMS_LANG=en for English output.
        lang = os.environ.get("LMS_LANG", "")
        return lang if lang in languages else current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in languages:
        return chosen
    if request.path.startswith("/api/") and request.headers.get("Accept-Language"):
        return request.accept_languages.best_match(languages, default="id")
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def register_template_globals(app) -> None:
    app.jinja_env.globals["get_locale"] = get_locale
