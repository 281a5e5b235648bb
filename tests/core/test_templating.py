"""Templates are compiled once per language with their literal texts translated (lms/core/templating.py): the page
reads as before in both languages, values are escaped as before, and no translation runs while rendering."""

from __future__ import annotations

from flask import Blueprint, render_template, render_template_string, request, url_for
from flask_babel import force_locale
from werkzeug.routing import MapAdapter

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


def _count_builds(monkeypatch) -> list:
    built = []
    original = MapAdapter.build

    def counting(self, endpoint, *args, **kwargs):
        built.append(endpoint)
        return original(self, endpoint, *args, **kwargs)

    monkeypatch.setattr(MapAdapter, "build", counting)
    return built


LINKS = ("{{ url_for('core.home') }} {{ url_for('static', filename='app.css') }} "
         "{{ url_for('core.home', _external=True) }} {{ url_for('core.home', q=n) }}")


def test_template_links_are_built_once_per_script_root_and_values(make_app, monkeypatch):
    app = make_app()

    @app.get("/_uji/tautan")
    def links():
        return render_template_string(LINKS, n=request.args["n"])

    with app.test_request_context("/"):
        css = url_for("static", filename="app.css")
    client = app.test_client()
    built = _count_builds(monkeypatch)
    assert client.get("/_uji/tautan?n=1").text.split()[0] == "/"
    first = len(built)
    pages = [client.get("/_uji/tautan?n=1", base_url="http://a.example").text,
             client.get("/_uji/tautan?n=2", base_url="http://b.example").text,
             client.get("/_uji/tautan?n=2", base_url="http://b.example/a").text]
    assert [page.split() for page in pages] == [
        ["/", css, "http://a.example/", "/?q=1"],
        ["/", css, "http://b.example/", "/?q=2"],
        ["/a/", f"/a{css}", "http://b.example/a/", "/a/?q=2"],
    ]
    # Kept: the first two links and /?q=1 again; built again: every external link, /?q=2 once, the other root's.
    assert built[first:] == ["core.home", "core.home", "core.home"] + ["core.home", "static", "core.home",
                                                                       "core.home"]


def test_template_links_are_not_kept_while_a_url_default_may_change(make_app, monkeypatch):
    app = make_app()
    calls = []

    @app.url_defaults
    def _count(endpoint, values):
        if endpoint == "core.home":
            calls.append(endpoint)
            values["n"] = len(calls)

    @app.get("/_uji/tautan-berubah")
    def links():
        return render_template_string("{{ url_for('core.home') }}")

    client = app.test_client()
    assert [client.get("/_uji/tautan-berubah").text for _ in range(2)] == ["/?n=1", "/?n=2"]


def test_locale_name_follows_the_cookie_and_force_locale_and_is_chosen_once(make_app, monkeypatch):
    """``locale_name()`` says what ``str(get_locale())`` says, and asks flask-babel only until the request's locale
    is chosen."""
    from lms.core import i18n

    app = make_app()
    assert i18n.locale_name() is None  # no app context
    asked = []
    real = i18n.get_locale

    def counted():
        asked.append(1)
        return real()

    monkeypatch.setattr(i18n, "get_locale", counted)
    with app.test_request_context("/", headers={"Cookie": f"{LANG_COOKIE}=en"}):
        assert [i18n.locale_name() for _ in range(3)] == ["en", "en", "en"]
        with force_locale("id"):
            assert i18n.locale_name() == "id" == str(real())
        assert i18n.locale_name() == "en"
        assert len(asked) == 1
    with app.test_request_context("/"):
        assert i18n.locale_name() == "id"


def test_the_request_locale_is_one_object_per_language_and_follows_the_cookie_and_the_api_header(make_app):
    """``select_locale`` hands flask-babel a ``Locale`` made once per language (not a name parsed anew on each
    request), chosen as before: the cookie, then an API client's Accept-Language, then the default."""
    from flask_babel import get_locale

    app = make_app()
    seen = []
    for environ in ({"headers": {"Cookie": f"{LANG_COOKIE}=en"}}, {"headers": {"Cookie": f"{LANG_COOKIE}=en"}},
                    {}, {"path": "/api/v1/me", "headers": {"Accept-Language": "en"}},
                    {"headers": {"Accept-Language": "en"}}, {"headers": {"Cookie": f"{LANG_COOKIE}=xx"}}):
        with app.test_request_context(environ.get("path", "/"), headers=environ.get("headers", {})):
            seen.append(get_locale())
    assert [str(locale) for locale in seen] == ["en", "en", "id", "en", "id", "id"]
    assert seen[0] is seen[1] is seen[3] and seen[2] is seen[4] is seen[5]


def test_attributes_and_outputs_written_inline_read_as_jinjas_own(make_app):
    """``OutputCodeGenerator``: a plain name's attribute and an escaped output are written inline, and read exactly
    as Jinja's own code reads them: an attribute, else an item, else undefined; a ``str`` escaped, ``Markup`` kept,
    other values escaped as text."""
    import pytest
    from jinja2 import Environment, UndefinedError
    from markupsafe import Markup

    class Thing:
        title = "<A & B>"
        safe = Markup("<b>ok</b>")
        count = 3
        none = None

        @property
        def broken(self):
            raise AttributeError("inside a property")

    source = ("{{ t.title }}|{{ t.safe }}|{{ t.count }}|{{ t.none }}|{{ t.nothing }}|{{ d.key }}|{{ d.items }}|"
              "{{ s.upper() }}|{{ t.title.lower() }}|{{ t.broken }}|{{ '<' ~ t.title }}|"
              "{% for x in [t, d] %}{{ x.title }}{{ loop.last }}{% endfor %}{% set y = t %}{{ y.count + 1 }}|{{ 5 }}|"
              "{{ n }}|{{ -n }}|{{ big }}|{{ flag }}|{{ ratio }}")
    values = {"t": Thing(), "d": {"key": "<k>", "title": "<dict>"}, "s": "a<b", "n": 42, "big": 10**30,
              "flag": True, "ratio": 0.5}
    app = make_app()
    with app.test_request_context("/"):
        env = app.jinja_env.for_current_locale()
        ours = env.from_string(source).render(values)
        code = env.compile(source, raw=True)
        with pytest.raises(UndefinedError, match="'u' is undefined"):
            env.from_string("{{ u.x }}").render()
    assert ours == Environment(autoescape=True, undefined=env.undefined).from_string(source).render(values)
    assert "getattr((undefined(name='t') if l_0_t is missing else l_0_t), 'title', missing)" in code
    assert "environment.escape_str(" in code
