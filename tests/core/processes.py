"""Start the real `lms` commands as processes, isolated in their own instance folder."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

LMS = str(Path(sys.executable).parent / "lms")
#: Longest wait between two checks of another process's progress (seconds).
RECHECK = 0.2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PRODUCTION_KEYS = {"LMS_NIK_HMAC_KEY": "test-nik-hmac-key",
                   "LMS_NIK_ENCRYPTION_KEY": "q2y9c6b0Hj8m1VwR3tZk5pL7xN4aS2dF0gJ8hK6lM1o="}


def lms_env(instance: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LMS_")}
    env.update({"LMS_INSTANCE_PATH": str(instance), "LMS_SECRET_KEY": "process-test-secret"})
    env.update(extra)
    return env


def lms(env: dict, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([LMS, *args], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"lms {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def start(env: dict, log: Path, *args: str) -> subprocess.Popen:
    """Start `lms ARGS...` in the background."""
    return spawn([LMS, *args], env, log)


def spawn(argv: list[str], env: dict, log: Path) -> subprocess.Popen:
    handle = open(log, "w")  # noqa: SIM115 - closed in stop()
    proc = subprocess.Popen(argv, env=env, stdout=handle, stderr=subprocess.STDOUT)
    proc.log_handle = handle
    return proc


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    proc.log_handle.close()


def wait_until(check, *, what: str, timeout: float = 60.0, proc: subprocess.Popen | None = None, log=None,
               event: threading.Event | None = None):
    """Wait for another process's progress (not the clock of the code under test): between two checks, block on
    that process exiting (a crash is reported at once, with its log) or on ``event`` (set by whoever makes
    progress, to wake the check early), at most ``RECHECK`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"timed out waiting for {what}:\n{log.read_text() if log else ''}")
        if _exited(proc, min(RECHECK, left), event):
            raise AssertionError(f"process exited while waiting for {what}:\n{log.read_text() if log else ''}")


def _exited(proc: subprocess.Popen | None, wait: float, event: threading.Event | None) -> bool:
    """Block until ``proc`` exits, ``event`` is set, or ``wait`` seconds pass; True when ``proc`` has exited."""
    if event is not None:
        event.wait(wait)
        return proc is not None and proc.poll() is not None
    assert proc is not None, "wait on the process that makes the progress, or on an event it sets"
    try:
        proc.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        return False
    return True


def wait_for_http(url: str, proc: subprocess.Popen, log: Path) -> None:
    def up():
        try:
            return requests.get(url, timeout=2).status_code == 200
        except requests.RequestException:
            return False

    wait_until(up, what=url, proc=proc, log=log)
