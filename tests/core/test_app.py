"""Health, security headers, CSRF, languages, configuration guards, and the OpenAPI document."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from lms import create_app
from lms.config import ConfigError
from tests.conftest import SECRET
from tests.core.processes import PRODUCTION_KEYS
from tests.core.wrapping import unwrapped_python_strings, unwrapped_template_text

ROOT = Path(__file__).resolve().parents[2]


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["database"] == "ok" and response.get_json()["status"] == "ok"


def test_healthz_is_503_when_the_database_does_not_answer(tmp_path):
    app = create_app({"TESTING": True}, env={"LMS_DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/db.sqlite",
                                              "LMS_SECRET_KEY": "x"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.get_json()["database"] == "unavailable"


def test_security_headers(client):
    response = client.get("/")
    headers = response.headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in headers  # only behind TLS in production


PRODUCTION = {"LMS_ENV": "production", "LMS_SECRET_KEY": "a-long-random-production-secret", **PRODUCTION_KEYS,
              "LMS_OIDC_ISSUER": "https://accounts.example.com", "LMS_REDIS_URL": "redis://127.0.0.1:6379/15"}


def test_production_config_guards(tmp_path):
    with pytest.raises(ConfigError, match="LMS_SECRET_KEY"):
        create_app(env={"LMS_ENV": "production"})
    with pytest.raises(ConfigError, match="LMS_DEV_IDP"):
        create_app(env={"LMS_ENV": "production", "LMS_SECRET_KEY": "s", "LMS_DEV_IDP": "1"})
    with pytest.raises(ConfigError, match="LMS_NIK_HMAC_KEY"):
        create_app(env={"LMS_ENV": "production", "LMS_SECRET_KEY": "a-long-random-production-secret"})
    app = create_app(env={**PRODUCTION, "LMS_DATABASE_URL": f"sqlite:///{tmp_path}/p.sqlite"})
    assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["DEV_IDP"] is False
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/15"
    assert not any(r.rule.startswith("/dev-idp") for r in app.url_map.iter_rules())
    response = app.test_client().get("/")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize("secret", ["", "   ", "s", "change-me", SECRET])
def test_production_refuses_a_missing_short_or_example_secret_key(tmp_path, secret):
    with pytest.raises(ConfigError, match="LMS_SECRET_KEY") as refused:
        create_app(env={**PRODUCTION, "LMS_SECRET_KEY": secret, "LMS_INSTANCE_PATH": str(tmp_path)})
    assert refused.value.code == "config_secret_key"
    assert not (tmp_path / "secret_key").exists()  # no development key generated for it either


def test_production_refuses_the_development_identity_provider(tmp_path):
    with pytest.raises(ConfigError, match="LMS_DEV_IDP") as refused:
        create_app(env={**PRODUCTION, "LMS_DEV_IDP": "1", "LMS_INSTANCE_PATH": str(tmp_path)})
    assert refused.value.code == "config_dev_idp"


@pytest.mark.parametrize("storage", [None, "memory://"])
def test_production_refuses_per_process_rate_limit_storage(tmp_path, storage):
    env = {k: v for k, v in PRODUCTION.items() if k != "LMS_REDIS_URL"}
    if storage:
        env["LMS_RATELIMIT_STORAGE_URL"] = storage
    with pytest.raises(ConfigError, match="LMS_RATELIMIT_STORAGE_URL or LMS_REDIS_URL") as refused:
        create_app(env={**env, "LMS_INSTANCE_PATH": str(tmp_path)})
    assert refused.value.code == "config_ratelimit_storage"


def test_production_takes_a_dedicated_rate_limit_storage(tmp_path):
    env = {k: v for k, v in PRODUCTION.items() if k != "LMS_REDIS_URL"}
    app = create_app(env={**env, "LMS_RATELIMIT_STORAGE_URL": "redis://127.0.0.1:6379/14",
                          "LMS_DATABASE_URL": f"sqlite:///{tmp_path}/r.sqlite"})
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/14"


def test_development_and_test_keep_memory_storage(tmp_path):
    for name in ("development", "test", " Test "):
        app = create_app(env={"LMS_ENV": name, "LMS_SECRET_KEY": "k",
                              "LMS_DATABASE_URL": f"sqlite:///{tmp_path}/d.sqlite"})
        assert app.config["RATELIMIT_STORAGE_URI"] == "memory://" and app.config["PRODUCTION"] is False
        assert app.config["ENV_NAME"] == name.strip().lower()


@pytest.mark.parametrize("name", ["prod", "staging", "", "  ", "produktion", "dev"])
def test_unknown_lms_env_stops_start_up(tmp_path, name):
    with pytest.raises(ConfigError, match="LMS_ENV") as refused:
        create_app(env={"LMS_ENV": name, "LMS_SECRET_KEY": "k", "LMS_DEV_IDP": "1",
                        "LMS_INSTANCE_PATH": str(tmp_path)})
    assert refused.value.code == "config_unknown_env"
    assert "development, test, production" in str(refused.value)


def test_unset_lms_env_is_development(tmp_path):
    app = create_app(env={"LMS_SECRET_KEY": "k", "LMS_DATABASE_URL": f"sqlite:///{tmp_path}/u.sqlite"})
    assert app.config["ENV_NAME"] == "development" and app.config["PRODUCTION"] is False


def test_environment_settings_are_read(tmp_path):
    app = create_app(env={"LMS_DATABASE_URL": f"sqlite:///{tmp_path}/e.sqlite", "LMS_SECRET_KEY": "k",
                          "LMS_OIDC_ISSUER": "https://idp.example.org/", "LMS_OIDC_CLIENT_ID": "cid",
                          "LMS_OIDC_CLIENT_SECRET": "cs", "LMS_BROKER_URL": "redis://127.0.0.1:6379/3",
                          "LMS_ALLOWED_EMAIL_DOMAINS": "belajar.id, Madrasah.ID"})
    assert app.config["OIDC_ISSUER"] == "https://idp.example.org"
    assert (app.config["OIDC_CLIENT_ID"], app.config["OIDC_CLIENT_SECRET"]) == ("cid", "cs")
    assert app.config["ALLOWED_EMAIL_DOMAINS"] == ("belajar.id", "madrasah.id")
    assert app.extensions["celery"].conf.broker_url == "redis://127.0.0.1:6379/3"


def test_forms_need_a_csrf_token(client):
    assert client.post("/lang", data={"lang": "en"}).status_code == 400


def test_indonesian_by_default_and_english_when_chosen(app):
    client = app.test_client()
    page = client.get("/").get_data(as_text=True)
    assert "Masuk dengan akun belajar.id" in page and 'lang="id"' in page
    client.set_cookie("lms_lang", "en")
    page = client.get("/").get_data(as_text=True)
    assert "Log in with your belajar.id account" in page and 'lang="en"' in page


def test_language_switch_sets_the_cookie(app):
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    response = client.post("/lang", data={"lang": "en", "next": "/healthz"})
    assert response.status_code == 302 and response.headers["Location"] == "/healthz"
    assert "Log in with" in client.get("/").get_data(as_text=True)
    # An outside target is ignored.
    assert client.post("/lang", data={"lang": "id", "next": "//evil.example"}).headers["Location"] == "/"


def test_api_errors_follow_accept_language(client):
    assert client.get("/api/v1/me").get_json()["message"] == "Silakan masuk terlebih dahulu."
    english = client.get("/api/v1/me", headers={"Accept-Language": "en"}).get_json()
    assert english["message"] == "Please log in first."


def test_every_user_facing_string_has_an_english_translation():
    with open(ROOT / "lms/translations/en/LC_MESSAGES/messages.po", "rb") as f:
        catalog = read_po(f)
    translated = {m.id for m in catalog if m.id and m.string and "fuzzy" not in m.flags}
    found = set()
    method_map = [("lms/**.py", "python"), ("lms/templates/**.html", "jinja2"), ("lms/templates/**.txt", "jinja2")]
    keywords = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2)}
    for _, _, message, *_ in extract_from_dir(str(ROOT), method_map=method_map, keywords=keywords):
        found.add(message if isinstance(message, str) else message[0])
    missing = sorted(found - translated)
    assert not missing, f"run `make messages` and translate: {missing}"


#: Text that is not language: names, acronyms, language names in their own language. (path, text)
NOT_LANGUAGE = {
    ("lms/templates/base.html", "· Ruang GTK"),
    ("lms/templates/base.html", "Ruang GTK ·"),
    ("lms/templates/base.html", "Bahasa Indonesia"),  # the language switch names each language in itself
    ("lms/templates/base.html", "English"),
    ("lms/templates/ukppg/confirmation.html", "· Ruang GTK ·"),
    ("lms/templates/ukppg/confirmation.html", "UKPPPG"),
    ("lms/templates/access/cek_nik.html", "belajar.id"),
}
#: To be wrapped: user-facing literals in files other changes are editing at the time of writing (path, text).
TO_BE_WRAPPED: set[tuple[str, str]] = set()


def test_every_user_facing_string_goes_through_the_catalog():
    """Refusal messages, flashed messages, ``Invalid`` details, ``abort`` descriptions and visible template text
    that are never wrapped in ``_``/``_l``/``{% trans %}`` would escape the translation test above."""
    found = unwrapped_python_strings(ROOT) + unwrapped_template_text(ROOT)
    unwrapped = [f"{path}:{line}: {text}" for path, line, text in found
                 if (path, text) not in NOT_LANGUAGE | TO_BE_WRAPPED]
    assert not unwrapped, "wrap these in _(...) / _l(...) / {% trans %}:\n" + "\n".join(unwrapped)
    stale = (NOT_LANGUAGE | TO_BE_WRAPPED) - {(path, text) for path, _, text in found}
    assert not stale, f"no longer found, remove from the allow-lists: {sorted(stale)}"


def test_the_catalog_scan_finds_bare_literals(tmp_path):
    package = tmp_path / "lms"
    (package / "templates").mkdir(parents=True)
    (package / "views.py").write_text(
        "class Late(DomainError):\n    message = 'Terlambat'\n"
        "def view():\n    flash('Tersimpan')\n    flash(_('Terbungkus'))\n"
        "    abort(400, f'Tidak bisa {x}')\n    raise Invalid(details={'nik': 'harus 16 digit'})\n"
        "    raise NotFound('Tidak ada')\n    raise Invalid(details={'nik': _l('Terbungkus')})\n")
    (package / "templates" / "page.html").write_text(
        '<p title="Judul lepas">{{ _("Terbungkus") }} Teks lepas</p>\n'
        '{% trans %}Terbungkus juga{% endtrans %}<button value="kode">{{ _("Kirim") }}</button>\n'
        '<input type="submit" value="Kirim lepas"><script>var s = "bukan teks";</script>\n')
    (package / "templates" / "mail.txt").write_text('{{ _("Yth. %(n)s,", n=name) }}\nSalam lepas\n')
    python = {text for _, _, text in unwrapped_python_strings(tmp_path)}
    assert python == {"Terlambat", "Tersimpan", "Tidak bisa", "harus 16 digit", "Tidak ada"}
    templates = {(Path(path).name, line, text) for path, line, text in unwrapped_template_text(tmp_path)}
    assert templates == {("page.html", 1, "Judul lepas"), ("page.html", 1, "Teks lepas"),
                         ("page.html", 3, "Kirim lepas"), ("mail.txt", 2, "Salam lepas")}


def test_openapi_documents_every_api_route(app):
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    documented = {(path, method) for path, ops in document["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint == "api.openapi_document":
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in documented, f"{method} {path} is not in the OpenAPI document"


def test_unknown_pages_are_404_in_the_right_format(client):
    assert client.get("/api/v1/nothing").get_json()["code"] == "not_found"
    assert client.get("/nothing").status_code == 404
