"""A cluster on one machine for the fault tests: its own Redis (and, when asked, its own PostgreSQL), N gunicorn
instances, M workers and beats, each a real process started and killed by pid; an SMTP sink counts deliveries."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import datetime
from pathlib import Path

import redis
import requests
import sqlalchemy as sa
from celery import Celery

from tests.conftest import PG_ADMIN_URL
from tests.core.processes import LMS, free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)


def as_postgres(argv: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its programs as the postgres user then."""
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


class RedisServer:
    """A private redis-server (never the shared one): append-only file, fsync on every write, like production."""

    def __init__(self, folder: Path):
        self.folder, self.port, self.proc = folder, free_port(), None
        folder.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.log = open(self.folder / "redis.log", "a")  # noqa: SIM115
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--dir", str(self.folder), "--appendonly", "yes", "--appendfsync", "always",
                                      "--save", ""], stdout=self.log, stderr=subprocess.STDOUT)
        wait_until(self._answers, what="redis-server", proc=self.proc)

    def _answers(self) -> bool:
        try:
            return redis.Redis.from_url(self.url, socket_timeout=1).ping()
        except redis.RedisError:
            return False

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.log.close()


class PostgresServer:
    """A throwaway PostgreSQL cluster (for the test that restarts it), in a temporary folder."""

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="lms-pg-"))
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        subprocess.run(as_postgres([str(PG_BIN / "initdb"), "-D", str(self.folder / "data"), "-U", "postgres",
                                    "-A", "trust", "--no-sync"]), check=True, capture_output=True)
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def ctl(self, *args: str) -> None:
        subprocess.run(as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.folder / "data"), "-w", "-l",
                                    str(self.folder / "log"), "-o", f"-p {self.port} -k {self.folder} -F "
                                    "-c listen_addresses=127.0.0.1", *args]), check=True, capture_output=True)

    def start(self) -> None:
        self.ctl("start")

    def stop(self) -> None:
        self.ctl("stop", "-m", "fast")

    def close(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def fresh_database(admin_url: str = PG_ADMIN_URL) -> tuple[str, callable]:
    """A new empty database on ``admin_url``'s server; returns its URL and a function that drops it.

    The drop runs in a detached process: DROP DATABASE waits for a checkpoint, which on a busy shared server takes
    seconds that the test need not wait for."""
    name = f"lms_fault_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    libpq_admin = sa.make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)

    def drop() -> None:
        # The shell starts the drop in the background and exits at once: nothing is left for this process to reap.
        subprocess.run(["/bin/sh", "-c", '"$0" "$@" >/dev/null 2>&1 &', sys.executable, "-c", DROP_DATABASE,
                        libpq_admin, name], check=True)

    return url, drop


DROP_DATABASE = ("import sys, psycopg; psycopg.connect(sys.argv[1], autocommit=True)"
                 ".execute(f'DROP DATABASE IF EXISTS \"{sys.argv[2]}\" WITH (FORCE)')")


class SmtpSink(socketserver.ThreadingTCPServer):
    """Just enough SMTP to receive flask-mail's messages; counts them by recipient."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        self.received: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def recipients(self) -> Counter:
        with self.lock:
            return Counter(to for to, _ in self.received)


class _SmtpHandler(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        self.reply("220 sink")
        to = ""
        while line := self.rfile.readline():
            command = line.decode(errors="replace").strip()
            upper = command.upper()
            if upper.startswith(("EHLO", "HELO")):
                self.reply("250 sink")
            elif upper.startswith("RCPT TO:"):
                to = re.sub(r"^RCPT TO:\s*<?([^>]*)>?.*$", r"\1", command, flags=re.IGNORECASE)
                self.reply("250 ok")
            elif upper == "DATA":
                self.reply("354 go on")
                body = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    body.append(chunk.decode(errors="replace"))
                with self.server.lock:
                    self.server.received.append((to, "".join(body)))
                self.reply("250 queued")
            elif upper == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


class Cluster:
    """The processes of one cluster, sharing a database, a Redis and a clock file."""

    def __init__(self, folder: Path, database_url: str, redis_url: str, **extra: str):
        self.folder = folder
        self.clock = folder / "clock"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("LMS_", "PG"))}
        self.env.update({"LMS_SECRET_KEY": "cluster-test-secret", "LMS_DATABASE_URL": database_url,
                         "LMS_REDIS_URL": redis_url, "LMS_BROKER_URL": redis_url, "LMS_CLOCK_FILE": str(self.clock),
                         "LMS_LOG_FORMAT": "json", "LMS_BEAT_INTERVAL_SCALE": "0.05", **extra})
        self.procs: dict[str, subprocess.Popen] = {}
        self.sender: Celery | None = None
        self.ready_from: dict[str, int] = {}

    def set_clock(self, at: datetime) -> None:
        tmp = self.clock.with_suffix(".tmp")
        tmp.write_text(at.isoformat())
        os.replace(tmp, self.clock)  # atomic: a reader never sees half a time

    def run(self, *args: str) -> str:
        result = subprocess.run([LMS, *args], env=self._env("cli"), capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"lms {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def _env(self, name: str) -> dict:
        instance = self.folder / name
        instance.mkdir(parents=True, exist_ok=True)
        return {**self.env, "LMS_INSTANCE_PATH": str(instance), "PGAPPNAME": name}

    def log(self, name: str) -> Path:
        return self.folder / f"{name}.log"

    def spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        handle = open(self.log(name), "a")  # noqa: SIM115 - closed when the process is reaped
        # A session of its own: a kill reaches the process and its children (a worker's pool), as on a crash.
        proc = subprocess.Popen(argv, env=self._env(name), stdout=handle, stderr=subprocess.STDOUT,
                                start_new_session=True)
        proc.log_handle = handle
        self.procs[name] = proc
        return proc

    def web(self, *names: str) -> list[str]:
        """Start gunicorn instances (two processes each), all at once; returns their URLs once they answer."""
        urls = {}
        for name in names:
            port = free_port()
            self.spawn(name, [GUNICORN, "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "-w", "2",
                              "-b", f"127.0.0.1:{port}", "lms:create_app()"])
            urls[name] = f"http://127.0.0.1:{port}"
        for name, url in urls.items():
            wait_until(lambda url=url: _answers(f"{url}/healthz"), what=name, proc=self.procs[name],
                       log=self.log(name))
        return list(urls.values())

    def worker(self, *names: str, wait: bool = True) -> None:
        """Start workers (one pool process each), all at once; with ``wait``, until each is ready."""
        for name in names:
            self.ready_from[name] = self.log(name).stat().st_size if self.log(name).exists() else 0
            self.spawn(name, [LMS, "worker", "--no-beat", "--concurrency", "1"])
        if wait:
            self.ready(*names)

    def ready(self, *names: str) -> None:
        for name in names:
            wait_until(lambda name=name: "ready." in self.log(name).read_text()[self.ready_from[name]:],
                       what=f"{name} ready", proc=self.procs[name], log=self.log(name))

    def beat(self, *names: str) -> None:
        for name in names:
            self.spawn(name, [LMS, "beat"])

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Signal the process group (a SIGKILL of a worker takes its pool with it), then reap it."""
        proc = self.procs.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if sig == signal.SIGKILL:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # pool children outliving their parent
        proc.log_handle.close()

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.kill(name, signal.SIGKILL)
        if self.sender is not None:
            self.sender.close()

    def send(self, task: str) -> None:
        """Send a task as the beat does (through the broker)."""
        if self.sender is None:
            self.sender = Celery("lms-test-sender", broker=self.env["LMS_BROKER_URL"], set_as_current=False)
        self.sender.send_task(task)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def wait_for(check, what: str, timeout: float = 60.0, step: float = 0.1):
    """Poll another process's progress (never the clock of the code under test)."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(step)
    return result
