"""Templates resolve their translations once per locale and request, and still follow ``force_locale`` (e-mails in
the recipient's language rendered inside another person's request)."""

from __future__ import annotations

from flask import render_template_string
from flask_babel import force_locale

from lms.core.i18n import LANG_COOKIE


def test_templates_follow_the_request_locale_and_force_locale(make_app):
    app = make_app()

    @app.get("/_uji/bahasa")
    def languages():
        page = "{{ _('Keluar') }}"
        first = render_template_string(page)
        with force_locale("en" if first == "Keluar" else "id"):
            forced = render_template_string(page)
        again = render_template_string(page)
        return {"first": first, "forced": forced, "again": again}

    client = app.test_client()
    assert client.get("/_uji/bahasa").get_json() == {"first": "Keluar", "forced": "Log out", "again": "Keluar"}
    client.set_cookie(LANG_COOKIE, "en")
    assert client.get("/_uji/bahasa").get_json() == {"first": "Log out", "forced": "Keluar", "again": "Log out"}
