"""/readyz, and what a request meets when the database or Redis does not answer: 503 with Retry-After."""

from __future__ import annotations

import sqlalchemy as sa

from lms.extensions import db
from tests.learning import Learning

DEAD_REDIS = "redis://127.0.0.1:1/0"
DEAD_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/lms?connect_timeout=2"
UNREGISTERED_NIK = "3175014101850002"


def test_readyz_answers_when_everything_answers(app):
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_readyz_names_redis_when_it_does_not_answer(make_app):
    app = make_app(env={"LMS_REDIS_URL": DEAD_REDIS})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["redis"].startswith("redis unavailable")
    assert response.get_json()["database"] == "ok"
    assert app.test_client().get("/healthz").status_code == 200  # liveness does not depend on Redis


def test_readyz_refuses_a_database_behind_the_code(app):
    with app.app_context():
        head = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
        db.session.execute(sa.text("UPDATE alembic_version SET version_num = '0001'"))
        db.session.commit()
        try:
            response = app.test_client().get("/readyz")
        finally:
            db.session.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": head})
            db.session.commit()
    assert response.status_code == 503
    assert response.get_json()["database"].startswith("migrations not at head")


def test_database_outage_is_503_with_retry_after(make_app):
    app = make_app(env={"LMS_DATABASE_URL": DEAD_DATABASE})
    client = app.test_client()
    assert client.get("/readyz").status_code == 503
    response = client.post("/api/v1/ukppg/registrations", headers={"Authorization": "Bearer lms_x",
                                                                  "Accept-Language": "en"}, json={})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    body = response.get_json()
    assert body["code"] == "database_unavailable" and "database" in body["message"]
    page = client.get("/sertifikasi/", headers={"Cookie": "lms_session=x"})
    assert page.status_code in (302, 503)


def test_cek_nik_fails_closed_when_the_limiter_storage_is_down(make_app):
    app = make_app(env={"LMS_REDIS_URL": DEAD_REDIS})
    headers = Learning(app).headers("guru.redisdown@guru.sd.belajar.id")
    client = app.test_client()
    for _ in range(3):
        refused = client.post("/api/v1/nik-check", headers=headers, json={"nik": UNREGISTERED_NIK})
        assert refused.status_code == 503
        assert refused.get_json()["code"] == "redis_unavailable"
        assert refused.headers["Retry-After"] == "30"
    assert client.get("/").status_code == 200  # the rest of the web keeps answering
    assert client.get("/healthz").status_code == 200
