"""The app's templates write their ``{{ … }}`` through ``escape_output`` and call plain functions without Jinja's
``Context.call`` (lms/core/templating.py): the text is what plain Jinja writes, escaped the same."""

from __future__ import annotations

import jinja2.runtime
import pytest
from jinja2 import Environment, pass_context, pass_environment
from markupsafe import Markup, escape

from lms.core.templating import escape_output


class Html:
    def __html__(self):
        return "<i>kept</i>"


class Text:
    def __str__(self):
        return "a < b"


@pytest.mark.parametrize("value", ["", "plain", "<a href='x'>&\"</a>", 0, 42, -1.5, None, True, Markup("<b>safe</b>"),
                                   Html(), Text()])
def test_output_is_escaped_as_markupsafe_escapes_it(value):
    assert escape_output(value) == str(escape(value))


SOURCE = """\
{%- macro box(title) -%}<div title="{{ title }}">{{ caller() }}</div>{%- endmacro -%}
{%- set block %}<em>{{ name }}</em>{% endset -%}
{{ name }}|{{ count }}|{{ safe }}|{{ none }}|{{ missing_value }}|{{ html }}|{{ block }}|{{ name|upper }}
{% call box(name) %}{{ count + 1 }} {{ safe }}{% endcall %}
{% for item in items %}{{ plain(item) }},{{ with_context() }},{{ with_env() }},{{ user.greet(item) }};{% endfor %}
{{ stops() }}|{{ named() }}|{{ plain(name, suffix='!') }}"""


def _globals():
    def plain(value, suffix=""):
        return f"<{value}>{suffix}"

    @pass_context
    def with_context(context):
        return context.get("item")

    @pass_environment
    def with_env(environment):
        return type(environment).__name__ != ""

    def stops():
        raise StopIteration

    class User:
        def greet(self, value):
            return f"hi {value} & co"

    class Caller:
        @pass_context
        def __call__(self, context):
            return context["name"]

    return {"plain": plain, "with_context": with_context, "with_env": with_env, "stops": stops, "user": User(),
            "named": Caller()}


VALUES = {"name": "A & <B>", "count": 3, "safe": Markup("<b>ok</b>"), "none": None, "html": Html(),
          "items": ["x", "<y>"]}


def test_templates_read_as_plain_jinja_writes_them(make_app):
    app = make_app()
    plain = Environment(autoescape=True)
    plain.globals.update(_globals())
    expected = plain.from_string(SOURCE).render(**VALUES)
    with app.test_request_context("/"):
        app.jinja_env.globals.update(_globals())
        assert app.jinja_env.from_string(SOURCE).render(**VALUES) == expected
    assert "A &amp; &lt;B&gt;" in expected and "<b>ok</b>" in expected and "&lt;x&gt;!" not in expected


def test_templates_use_neither_jinjas_escape_nor_its_call_for_plain_functions(make_app, monkeypatch):
    """Loaded while Jinja's own ``escape`` and ``Context.call`` fail, a template with output and a call of a plain
    function still renders: neither is used."""
    app = make_app()

    def unused(*_args, **_kwargs):
        raise AssertionError("not expected here")

    monkeypatch.setattr(jinja2.runtime, "escape", unused)
    monkeypatch.setattr(jinja2.runtime.Context, "call", unused)
    with app.test_request_context("/"):
        app.jinja_env.globals.update(_globals())
        shown = app.jinja_env.from_string("{{ name }}|{{ plain(name) }}").render(name="<a>")
    assert shown == "&lt;a&gt;|&lt;&lt;a&gt;&gt;"
