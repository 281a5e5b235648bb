"""E-mail bodies from templates (``lms/templates/email/*.txt``), in the recipient's language.

Accounts do not store a language yet, so messages are written in Indonesian (the participants' language) and
end with a one-line English summary, as before. The summary is the English catalog entry of an Indonesian
message, so the two never drift apart.
"""

from __future__ import annotations

from flask import current_app, render_template
from flask_babel import force_locale


def default_language() -> str:
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def in_language(message, lang: str) -> str:
    """A lazy catalog string (``_l(...)``) rendered in ``lang``."""
    with force_locale(lang):
        return str(message)


def render_email(template: str, /, *, summary=None, lang: str | None = None, **context) -> str:
    """Render ``email/<template>.txt`` in ``lang``; ``summary`` (a lazy string) adds the English line unless the
    message is already in English."""
    lang = lang or default_language()
    english = in_language(summary, "en") if summary is not None and lang != "en" else None
    with force_locale(lang):
        return render_template(f"email/{template}.txt", english_summary=english, **context).rstrip("\n") + "\n"


def subject_in(message, lang: str | None = None) -> str:
    return in_language(message, lang or default_language())
