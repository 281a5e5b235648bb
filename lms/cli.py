"""The `lms` console script: Flask's command group plus serve and worker."""

from __future__ import annotations

import gc
import os

import click
from flask.cli import FlaskGroup
from werkzeug.serving import run_simple

from lms import create_app


def create_command_app():
    """The app of one ``lms`` command: built with the cyclic collector paused (as ``lms`` is imported), then its
    long-lived objects are frozen out of later collections, which then walk only what the command itself creates.
    (Not in ``create_app``: frozen objects are never collected, and the tests build an app per test.)"""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return create_app()
    finally:
        gc.freeze()
        if collecting:
            gc.enable()


@click.group(cls=FlaskGroup, create_app=create_command_app, add_default_commands=False,
             help="lms: Sertifikasi Pendidik learning-progress module.")
def main() -> None:
    pass


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, type=int, show_default=True)
@click.option("--debug/--no-debug", default=False)
def serve(host: str, port: int, debug: bool) -> None:
    """Development server (production: gunicorn, see README)."""
    # The embedded provider's issuer is this server's own address unless configured otherwise.
    public_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
    os.environ.setdefault("LMS_BASE_URL", f"http://{public_host}:{port}")
    app = create_app()
    app.debug = debug
    click.echo(f" * lms serving on http://{public_host}:{port}/ (development server; production: gunicorn)")
    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=debug)


@main.command("worker", context_settings={"ignore_unknown_options": True})
@click.option("--concurrency", "-c", default=2, type=int, show_default=True)
@click.option("--beat/--no-beat", default=True, show_default=True, help="Run the periodic scheduler in-process.")
@click.option("--loglevel", default="INFO", show_default=True)
def worker(concurrency: int, beat: bool, loglevel: str) -> None:
    """Celery worker, with beat (the periodic windows, reminders and heartbeat)."""
    app = create_app()
    celery = app.extensions["celery"]
    argv = ["worker", f"--loglevel={loglevel}", f"--concurrency={concurrency}", "--without-mingle",
            "--without-gossip"]
    if beat:
        argv.append("--beat")
    celery.worker_main(argv)


@main.command("beat")
@click.option("--loglevel", default="INFO", show_default=True)
def beat(loglevel: str) -> None:
    """The periodic scheduler alone (one per cluster; a second one is harmless, see README)."""
    app = create_app()
    app.extensions["celery"].start(["beat", f"--loglevel={loglevel}"])
