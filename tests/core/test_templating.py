"""Templates are compiled once per language with their literal texts translated (lms/core/templating.py): the page
reads as before in both languages, values are escaped as before, and no translation runs while rendering."""

from __future__ import annotations

from flask import Blueprint, render_template, render_template_string
from flask_babel import force_locale

from lms.core.i18n import LANG_COOKIE

PAGE = """{% extends "uji/base.html" %}{% block body %}{{ _("Keluar") }}|{% include "uji/part.html" %}{% endblock %}"""
BASE = """<p>{{ _("Langsung ke isi") }}|{% block body %}{% endblock %}</p>"""
PART = """{{ _("Belum selesai: %(modules)s.", modules=modules) }}"""


def _app_with_pages(make_app, tmp_path):
    folder = tmp_path / "uji"
    folder.mkdir()
    for name, text in (("page.html", PAGE), ("base.html", BASE), ("part.html", PART)):
        (folder / name).write_text(text)
    app = make_app()
    app.register_blueprint(Blueprint("uji_templat", __name__, template_folder=str(tmp_path)))

    @app.get("/_uji/templat")
    def page():
        shown = render_template("uji/page.html", modules="<b>A & B</b>")
        with force_locale("en" if "Keluar" in shown else "id"):
            forced = render_template("uji/page.html", modules="<b>A & B</b>")
        return {"shown": shown, "forced": forced}

    return app


ID_PAGE = "<p>Langsung ke isi|Keluar|Belum selesai: &lt;b&gt;A &amp; B&lt;/b&gt;.</p>"
EN_PAGE = "<p>Skip to content|Log out|Not yet completed: &lt;b&gt;A &amp; B&lt;/b&gt;.</p>"


def test_templates_read_the_same_in_both_languages_and_follow_force_locale(make_app, tmp_path):
    client = _app_with_pages(make_app, tmp_path).test_client()
    assert client.get("/_uji/templat").get_json() == {"shown": ID_PAGE, "forced": EN_PAGE}
    client.set_cookie(LANG_COOKIE, "en")
    assert client.get("/_uji/templat").get_json() == {"shown": EN_PAGE, "forced": ID_PAGE}
    client.delete_cookie(LANG_COOKIE)
    assert client.get("/_uji/templat").get_json() == {"shown": ID_PAGE, "forced": EN_PAGE}


def test_literal_texts_are_not_translated_while_rendering(make_app, tmp_path):
    """With the render-time gettext unusable, literal texts still come out translated: they were translated when
    the template was compiled. (Translating at render time, this test fails with the error below.)"""
    app = _app_with_pages(make_app, tmp_path)

    def no_render_time_translation(*_args, **_kwargs):
        raise AssertionError("translated while rendering")

    app.jinja_env.globals["gettext"] = no_render_time_translation
    client = app.test_client()
    client.set_cookie(LANG_COOKIE, "en")
    assert client.get("/_uji/templat").get_json() == {"shown": EN_PAGE, "forced": ID_PAGE}


def test_other_calls_are_translated_at_render_time_as_before(make_app):
    app = make_app()

    @app.get("/_uji/templat-lain")
    def other():
        return {
            # a text that is not a literal
            "variable": render_template_string("{{ _(text) }}", text="Keluar"),
            # a template that binds ``_`` itself keeps its own meaning
            "own": render_template_string("{% set _ = upper %}{{ _('Keluar') }}", upper=str.upper),
            # '%%' is a percent sign, as gettext formats every text
            "percent": render_template_string("{{ _('Progres belajar') }} 50%% {{ _('100%%') }}"),
            # without autoescape, values are not escaped, as before
            "raw": render_template_string("{% autoescape false %}{{ _('Belum selesai: %(modules)s.', "
                                          "modules='<b>') }}{% endautoescape %}"),
        }

    client = app.test_client()
    client.set_cookie(LANG_COOKIE, "en")
    assert client.get("/_uji/templat-lain").get_json() == {
        "variable": "Log out", "own": "KELUAR", "percent": "Learning progress 50%% 100%",
        "raw": "Not yet completed: <b>.",
    }
