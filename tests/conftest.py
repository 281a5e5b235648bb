"""Fixtures: an app per test on SQLite and on PostgreSQL, a live HTTP server, a frozen clock, and a CLI runner.

PostgreSQL tests run when the server answers (``LMS_TEST_POSTGRES_URL``, default the local one); with
``LMS_TEST_REQUIRE_SERVICES=1`` (CI) a missing service fails the run instead of skipping.
"""

from __future__ import annotations

import itertools
import os
import shutil
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from werkzeug.serving import make_server

from lms import create_app
from lms.core import time as clock
from lms.extensions import db

PG_ADMIN_URL = os.environ.get("LMS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _per_worker(redis_url: str) -> str:
    """Under pytest-xdist each worker gets its own Redis database (the given one for gw0, the one below it for gw1,
    ...): tests flush theirs, and brokers and limiters must not see another worker's keys."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return redis_url
    parts = urlsplit(redis_url)
    number = int(parts.path.lstrip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(number - int(worker[2:])) % 16}"))


REDIS_URL = _per_worker(os.environ.get("LMS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))
REQUIRE_SERVICES = os.environ.get("LMS_TEST_REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("LMS_TEST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
SECRET = "test-secret-key-not-for-production"

EXTRA_ACCOUNTS = [
    {"sub": "test-unverified", "email": "belum.verif@guru.sd.belajar.id", "name": "Belum Verifikasi",
     "email_verified": False},
    {"sub": "test-lookalike", "email": "palsu@belajar.id.example.com", "name": "Domain Mirip",
     "hd": "belajar.id.example.com"},
    {"sub": "test-wrong-hd", "email": "campur@guru.sd.belajar.id", "name": "HD Lain", "hd": "example.com"},
    {"sub": "test-caps", "email": "Guru.Kapital@Guru.SD.Belajar.ID", "name": "Guru Kapital"},
    {"sub": "test-other-guru", "email": "guru.lain@guru.sd.belajar.id", "name": "Guru Lain"},
]


def service_unavailable(what: str, why: Exception | str):
    message = f"{what} unavailable: {why}"
    if REQUIRE_SERVICES:
        pytest.fail(message)
    pytest.skip(message)


# --- databases ------------------------------------------------------------------------------------------------

class SqliteDatabases:
    """A migrated template file, copied for every test."""

    def __init__(self, root: Path):
        self.root = root
        self.template = root / "template.sqlite"
        self.counter = itertools.count()
        migrate_database(f"sqlite:///{self.template}")

    def fresh_url(self) -> str:
        path = self.root / f"db{next(self.counter)}.sqlite"
        shutil.copy(self.template, path)
        return f"sqlite:///{path}"

    def reset(self, url: str) -> None:
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)

    def close(self) -> None:
        pass


class PostgresDatabases:
    """One migrated database for the session; every table emptied after each test."""

    def __init__(self):
        self.admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        self.name = f"lms_test_{uuid.uuid4().hex[:10]}"
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{self.name}"'))
        self.url = sa.make_url(PG_ADMIN_URL).set(database=self.name).render_as_string(hide_password=False)
        migrate_database(self.url)
        self.engine = sa.create_engine(self.url)

    def fresh_url(self) -> str:
        return self.url

    def reset(self, url: str) -> None:
        tables = [t.name for t in db.metadata.sorted_tables]
        with self.engine.begin() as conn:
            conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))

    def close(self) -> None:
        self.engine.dispose()
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


def migrate_database(url: str) -> None:
    app = create_app({"TESTING": True}, env={"LMS_DATABASE_URL": url, "LMS_SECRET_KEY": SECRET})
    with app.app_context():
        upgrade()
        db.engine.dispose()


def postgres_available() -> None:
    try:
        engine = sa.create_engine(PG_ADMIN_URL)
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:  # noqa: BLE001
        service_unavailable("PostgreSQL", exc)


@pytest.fixture(scope="session")
def sqlite_databases(tmp_path_factory):
    return SqliteDatabases(tmp_path_factory.mktemp("sqlite"))


@pytest.fixture(scope="session")
def postgresql_databases():
    postgres_available()
    databases = PostgresDatabases()
    yield databases
    databases.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request):
    return request.param


@pytest.fixture
def databases(backend, request):
    return request.getfixturevalue(f"{backend}_databases")


# --- apps -----------------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def dev_idp_key_path(tmp_path_factory):
    return str(tmp_path_factory.mktemp("idp") / "key.json")


@dataclass
class AppFactory:
    databases: object
    key_path: str
    tmp_path: Path
    made: list

    def __call__(self, base_url: str = "http://localhost", env: dict | None = None, **overrides):
        url = self.databases.fresh_url()
        environment = {
            "LMS_DATABASE_URL": url,
            "LMS_SECRET_KEY": SECRET,
            "LMS_DEV_IDP": "1",
            "LMS_BASE_URL": base_url,
            "LMS_DEV_IDP_KEY_PATH": self.key_path,
            **(env or {}),
        }
        config = {"TESTING": True, "DEV_IDP_EXTRA_ACCOUNTS": EXTRA_ACCOUNTS,
                  "BROKER_FOLDER": str(self.tmp_path / "broker"),
                  "CREDENTIAL_KEY_DIR": str(self.tmp_path / "credential_keys"), **overrides}
        app = create_app(config, env=environment)
        self.made.append((app, url))
        return app


@pytest.fixture
def make_app(databases, dev_idp_key_path, tmp_path):
    factory = AppFactory(databases, dev_idp_key_path, tmp_path, [])
    yield factory
    for app, url in factory.made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        databases.reset(url)


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def frozen_clock():
    """Freeze ``now_utc()``; call the fixture's value with a datetime to move it."""

    def move(at: datetime):
        clock.freeze(at)
        return at

    move(datetime(2026, 11, 22, 3, 0, tzinfo=UTC))
    yield move
    clock.freeze(None)


# --- a live server for the real OIDC flow ------------------------------------------------------------------------

@dataclass
class LiveServer:
    url: str
    app: object


@pytest.fixture
def live_server(make_app):
    server = make_server("127.0.0.1", 0, lambda environ, start: [], threaded=True)
    url = f"http://127.0.0.1:{server.port}"
    app = make_app(base_url=url)
    server.app = app
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(url, app)
    server.shutdown()
    thread.join(timeout=10)


# --- learning path ----------------------------------------------------------------------------------------------

@pytest.fixture
def learning(app):
    from tests.learning import Learning

    return Learning(app)


@pytest.fixture
def during(frozen_clock):
    """The clock frozen inside the default test cohort's window (1–30 Nov 2026, WIB)."""
    from tests.learning import DURING

    return frozen_clock(DURING)


@pytest.fixture
def pg_app(postgresql_databases, dev_idp_key_path, tmp_path):
    """An app on PostgreSQL only, for behaviour under real concurrency."""
    factory = AppFactory(postgresql_databases, dev_idp_key_path, tmp_path, [])
    yield factory()
    for app, url in factory.made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        postgresql_databases.reset(url)


@pytest.fixture
def pg_learning(pg_app):
    from tests.learning import Learning

    return Learning(pg_app)


@pytest.fixture
def pg_live_server(pg_app):
    """A threaded HTTP server on the PostgreSQL app, for real concurrent requests."""
    server = make_server("127.0.0.1", 0, pg_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(f"http://127.0.0.1:{server.port}", pg_app)
    server.shutdown()
    thread.join(timeout=10)
