"""Migrations build the whole schema from empty, on SQLite and PostgreSQL, and match the models."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from lms import create_app
from lms.extensions import db
from tests.conftest import PG_ADMIN_URL, postgres_available


def check_upgrade_from_empty(url: str) -> None:
    app = create_app({"TESTING": True}, env={"LMS_DATABASE_URL": url, "LMS_SECRET_KEY": "x"})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
            assert diff == [], f"models and migrations differ: {diff}"
            tables = set(sa.inspect(conn).get_table_names())
        assert {"users", "identities", "user_roles", "api_tokens", "audit_events"} <= tables
        downgrade(revision="base")
        with db.engine.connect() as conn:
            assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}
        upgrade()
        db.engine.dispose()


def test_upgrade_from_empty_sqlite(tmp_path):
    check_upgrade_from_empty(f"sqlite:///{tmp_path}/m.sqlite")


@pytest.mark.postgres
def test_upgrade_from_empty_postgresql():
    postgres_available()
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"lms_mig_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        check_upgrade_from_empty(sa.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False))
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_lms_db_upgrade_command(tmp_path):
    from click.testing import CliRunner

    from lms.cli import main

    url = f"sqlite:///{tmp_path}/cli.sqlite"
    result = CliRunner().invoke(main, ["db", "upgrade"], env={"LMS_DATABASE_URL": url, "LMS_SECRET_KEY": "x"})
    assert result.exit_code == 0, result.output
    engine = sa.create_engine(url)
    assert "users" in sa.inspect(engine).get_table_names()
    engine.dispose()
