"""Against a real Learning Record Store: Ralph (France's national MOOC platform's LRS), filesystem backend.

Ralph's pins (FastAPI, pydantic, python-jose) need not meet the project's, so it lives in its own venv:
``LMS_TEST_LRS_VENV`` or ``.lrs-venv`` at the repository root, created from ``tests/records/lrs-requirements.txt``
on first use.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from lms.extensions import db
from lms.records import outbox
from tests.core.processes import free_port, spawn, stop, wait_until
from tests.learning import DURING, ApiParticipant, Learning
from tests.records.journey import EXPECTED, finish_module, kinds, register_and_cancel

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = Path(__file__).with_name("lrs-requirements.txt")
AUTH = ("lms", "rahasia-lrs")


@pytest.fixture(scope="session")
def ralph_python() -> Path:
    venv = Path(os.environ.get("LMS_TEST_LRS_VENV") or ROOT / ".lrs-venv")
    python = venv / "bin" / "python"
    if not (venv / "bin" / "ralph").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        installed = subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)],
                                   capture_output=True, text=True)
        if installed.returncode != 0:
            if os.environ.get("LMS_TEST_REQUIRE_SERVICES") == "1":
                pytest.fail(f"cannot install Ralph: {installed.stderr[-2000:]}")
            pytest.skip("Ralph (ralph-malph) cannot be installed here")
    return python


class Ralph:
    def __init__(self, python: Path, folder: Path):
        self.python, self.folder, self.port, self.proc = python, folder, free_port(), None
        self.url = f"http://127.0.0.1:{self.port}/xAPI"
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith(("RALPH_", "LMS_"))},
                    "RALPH_APP_DIR": str(folder / ".ralph"), "RALPH_RUNSERVER_BACKEND": "fs",
                    "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(folder)}
        subprocess.run([str(python.parent / "ralph"), "auth", "-u", AUTH[0], "-p", AUTH[1], "-s", "all",
                        "-M", "mailto:lms@example.org", "-w"], env=self.env, cwd=folder, check=True,
                       capture_output=True)

    def _answers(self) -> bool:
        try:
            return requests.get(f"http://127.0.0.1:{self.port}/whoami", auth=AUTH, timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def start(self) -> None:
        argv = [str(self.python), str(Path(__file__).with_name("ralph_server.py")), str(self.port)]
        log = self.folder / "ralph.log"
        self.proc = spawn(argv, self.env, log)
        wait_until(self._answers, what="Ralph answering", timeout=60, proc=self.proc, log=log)

    def stop(self) -> None:
        stop(self.proc)
        self.proc = None

    def statements(self) -> list[dict]:
        answer = requests.get(f"{self.url}/statements", params={"limit": 500}, auth=AUTH, timeout=10,
                              headers={"X-Experience-API-Version": "1.0.3"})
        answer.raise_for_status()
        return answer.json()["statements"]


@pytest.fixture
def ralph(ralph_python, tmp_path):
    server = Ralph(ralph_python, tmp_path)
    yield server
    if server.proc is not None:
        server.stop()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_statements_reach_a_real_lrs_once_each(make_app, ralph, during, backend):
    app = make_app(base_url="https://lms.test", env={"LMS_XAPI_ENDPOINT": ralph.url, "LMS_XAPI_USERNAME": AUTH[0],
                                                     "LMS_XAPI_PASSWORD": AUTH[1], "LMS_XAPI_TIMEOUT": "5"})
    teacher = ApiParticipant(app, Learning(app))
    # The LRS is down while the first module is done: delivery fails and backs off, nothing is lost.
    finish_module(teacher, 0)
    with app.app_context():
        assert outbox.deliver_pending(now=DURING) == 0
        assert outbox.counts()["sent"] == 0 and outbox.counts()["pending"] == 5
    ralph.start()
    finish_module(teacher, 1)
    register_and_cancel(app, teacher)
    with app.app_context():
        # the failed ones wait for their backoff; the rest goes now, the failed ones after it
        first = outbox.deliver_pending(now=DURING)
        assert first == len(EXPECTED) - 5
        assert outbox.deliver_pending(now=DURING + timedelta(minutes=1)) == 5
        assert outbox.counts() == {"sent": len(EXPECTED), "pending": 0, "dead": 0}
        ids = {row for row in db.session.scalars(db.select(outbox.XapiStatement.statement_id))}
    held = ralph.statements()
    assert kinds(held) == EXPECTED and {s["id"] for s in held} == ids
    attempt = next(s for s in held if s["verb"]["id"].endswith("/attempted"))
    assert "success" not in attempt.get("result", {}) and attempt["result"]["score"]["max"] == 2
    # Forced re-delivery of everything: the LRS keeps one statement per id.
    with app.app_context():
        assert outbox.retry(now=DURING, resend_sent=True) == len(EXPECTED)
        db.session.commit()
        assert outbox.deliver_pending(now=DURING + timedelta(minutes=2)) == len(EXPECTED)
    assert len(ralph.statements()) == len(EXPECTED)
