"""Language choice: Bahasa Indonesia by default, English when chosen (cookie), or asked for by an API client."""

from __future__ import annotations

import os
from functools import lru_cache

from babel import Locale
from flask import current_app, g, has_request_context, request
from flask.globals import _cv_app
from flask_babel import get_locale, get_translations

LANG_COOKIE = "lms_lang"


def select_locale() -> Locale:
    """flask-babel's locale selector: the request's language as a ``Locale``, one object per language and process
    (flask-babel parses a name again on every request; ``Locale.parse`` hands a ``Locale`` back as it is)."""
    return _parsed(_select_name())


def _select_name() -> str:
    config = current_app.config
    languages = config["LANGUAGES"]
    if not has_request_context():
        # Command line and tasks: LMS_LANG=en for English output.
        lang = os.environ.get("LMS_LANG", "")
        return lang if lang in languages else config["BABEL_DEFAULT_LOCALE"]
    req = request._get_current_object()
    chosen = req.cookies.get(LANG_COOKIE)
    if chosen in languages:
        return chosen
    if req.path.startswith("/api/") and req.headers.get("Accept-Language"):
        return req.accept_languages.best_match(languages, default="id")
    return config["BABEL_DEFAULT_LOCALE"]


@lru_cache(maxsize=64)
def _parsed(name: str) -> Locale:
    return Locale.parse(name)


def _translations():
    """The request's translations, resolved once per locale: flask-babel resolves the locale, the domain and the
    catalogue again on every ``_()`` of a template (about 50 on the dashboard, a fifth of its CPU).

    The result is kept beside flask-babel's own per-context state (``g._flask_babel``), tagged with the locale object
    it was resolved for; ``force_locale`` (e-mails in the recipient's language) sets another locale object, so the
    tag no longer matches and the translations are resolved again."""
    state = getattr(g, "_flask_babel", None) if g else None
    if state is not None:
        cached = getattr(state, "lms_translations", None)
        locale = getattr(state, "babel_locale", None)
        if cached is not None and locale is not None and cached[0] is locale:
            return cached[1]
    translations = get_translations()
    state = getattr(g, "_flask_babel", None) if g else None
    if state is not None:
        state.lms_translations = (getattr(state, "babel_locale", None), translations)
    return translations


def locale_name() -> str | None:
    """``str(get_locale())``: the current language ('id', 'en'), None outside an app context.

    A page asks about a dozen times (its dates, the offline status line, the layout, the template overlay), and each
    ``get_locale()`` looks ``g`` up three times before ``str`` builds the name anew. Once flask-babel has chosen the
    request's locale it keeps it beside its own per-context state (``g._flask_babel.babel_locale``, which
    ``force_locale`` replaces for a while); the name is read from there and kept with it, tagged with the locale
    object it was made from, so that a forced locale gets its own name."""
    app_ctx = _cv_app.get(None)
    if app_ctx is None:
        return None
    state = getattr(app_ctx.g, "_flask_babel", None)
    locale = getattr(state, "babel_locale", None)
    if locale is None:
        locale = get_locale()  # chooses the locale and keeps it in ``g._flask_babel``
        if locale is None:
            return None
        state = app_ctx.g._flask_babel
    cached = getattr(state, "lms_locale_name", None)
    if cached is not None and cached[0] is locale:
        return cached[1]
    name = str(locale)
    state.lms_locale_name = (locale, name)
    return name


def register_template_globals(app) -> None:
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["locale_name"] = locale_name
    # After babel.init_app: the same callables as flask-babel's, with the translations resolved once per locale.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
