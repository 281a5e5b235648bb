"""Production serving: gunicorn with `lms:create_app()` and the same environment."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import requests

from tests.conftest import REDIS_URL
from tests.core.processes import PRODUCTION_KEYS, free_port, lms, lms_env, spawn, stop, wait_for_http

GUNICORN = str(Path(sys.executable).parent / "gunicorn")


@pytest.mark.slow
def test_gunicorn_serves_the_app(tmp_path):
    env = lms_env(tmp_path / "instance", LMS_ENV="production", **PRODUCTION_KEYS, LMS_OIDC_ISSUER="https://accounts.example.com",
                  LMS_OIDC_CLIENT_ID="cid", LMS_OIDC_CLIENT_SECRET="secret", LMS_REDIS_URL=REDIS_URL)
    lms(env, "db", "upgrade")
    port = free_port()
    log = tmp_path / "gunicorn.log"
    proc = spawn([GUNICORN, "-w", "2", "-b", f"127.0.0.1:{port}", "lms:create_app()"], env, log)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", proc, log)
        home = requests.get(f"http://127.0.0.1:{port}/", timeout=10)
        assert home.status_code == 200 and "Masuk dengan akun belajar.id" in home.text
        assert home.headers["Strict-Transport-Security"].startswith("max-age=")
        assert requests.get(f"http://127.0.0.1:{port}/dev-idp/jwks", timeout=10).status_code == 404
    finally:
        stop(proc)
