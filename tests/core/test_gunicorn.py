"""Production serving: gunicorn with `lms:create_app()` and the same environment."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import requests

from tests.core.processes import free_port, lms, lms_env, stop, wait_for_http

GUNICORN = str(Path(sys.executable).parent / "gunicorn")


@pytest.mark.slow
def test_gunicorn_serves_the_app(tmp_path):
    import subprocess

    env = lms_env(tmp_path / "instance", LMS_ENV="production", LMS_OIDC_ISSUER="https://accounts.example.com",
                  LMS_OIDC_CLIENT_ID="cid", LMS_OIDC_CLIENT_SECRET="secret")
    lms(env, "db", "upgrade")
    port = free_port()
    log = tmp_path / "gunicorn.log"
    handle = open(log, "w")
    proc = subprocess.Popen([GUNICORN, "-w", "2", "-b", f"127.0.0.1:{port}", "lms:create_app()"], env=env,
                            stdout=handle, stderr=subprocess.STDOUT)
    proc.log_handle = handle
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", proc, log)
        home = requests.get(f"http://127.0.0.1:{port}/", timeout=10)
        assert home.status_code == 200 and "Masuk dengan akun belajar.id" in home.text
        assert home.headers["Strict-Transport-Security"].startswith("max-age=")
        assert requests.get(f"http://127.0.0.1:{port}/dev-idp/jwks", timeout=10).status_code == 404
    finally:
        stop(proc)
