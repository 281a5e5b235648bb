"""The dashboard and ``base.html`` capture their output and write it once (``{% set %}…{% endset %}``), instead of
passing each piece up through the templates they extend: the page reads exactly as without the captures, in
Indonesian and in English, and is written in a few pieces instead of some 270."""

from __future__ import annotations

import re

from jinja2 import ChoiceLoader, DictLoader

from lms.core.i18n import LANG_COOKIE
from lms.core.templating import LocaleEnvironment
from tests.learning import log_in
from tests.modules.test_query_counts import EMAIL, progressed_participant

CAPTURES = ("base.html", "dashboard/index.html")
TOKEN = re.compile(r'(name="csrf_token" value="|data-csrf=")[^"]+"')


def _uncaptured(source: str) -> str:
    """The template as written before the captures: each ``{% set name %}`` block's body written in place."""
    names = re.findall(r"{% set (\w+) %}", source)
    assert names, "the template captures nothing"
    for name in names:
        source = source.replace(f"{{% set {name} %}}", "").replace(f"{{% endset %}}{{{{ {name} }}}}", "")
    assert "{% endset %}" not in source
    return source


def _page(client) -> str:
    response = client.get("/sertifikasi/")
    assert response.status_code == 200
    return TOKEN.sub(r'\1TOKEN"', response.get_data(as_text=True))


def test_the_dashboard_reads_as_without_the_captures(app, learning, during):
    progressed_participant(app, learning, 3)
    client = log_in(app, EMAIL)
    english = log_in(app, EMAIL)
    english.set_cookie(LANG_COOKIE, "en")
    captured = [_page(client), _page(english)]
    assert 'lang="en"' in captured[1] and "Langkah berikutnya" in captured[0]

    environment = app.jinja_env
    plain = {name: _uncaptured(environment.loader.get_source(environment, name)[0]) for name in CAPTURES}
    environment.loader = ChoiceLoader([DictLoader(plain), environment.loader])
    environment.cache.clear()
    environment._languages.clear()  # the per-language overlays, made again with the plain templates
    assert [_page(client), _page(english)] == captured


def test_the_dashboard_is_written_in_a_few_pieces(app, learning, during, monkeypatch):
    progressed_participant(app, learning, 3)
    client = log_in(app, EMAIL)
    written = []

    def join(pieces):
        pieces = list(pieces)
        written.append(len(pieces))
        return "".join(pieces)

    monkeypatch.setattr(LocaleEnvironment, "concat", staticmethod(join))  # the captures' and ``render``'s join
    assert client.get("/sertifikasi/").status_code == 200
    assert len(written) == 3 and written[-1] <= 10, written  # the page: the two captures and a few pieces around
