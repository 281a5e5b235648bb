"""Celery bound to the Flask app: its configuration and the beat schedule (the worker: ``lms.celery_app``)."""

from __future__ import annotations

from pathlib import Path

from celery import Celery, Task, signals
from flask import Flask

from lms.core import observability

#: Modules whose tasks the worker registers.
TASK_MODULES = ["lms.core.tasks", "lms.auth.tasks", "lms.cohorts.tasks", "lms.notifications.tasks", "lms.records.tasks"]

#: The periodic tasks, in one place.
BEAT_SCHEDULE: dict = {
    "core-heartbeat": {"task": "core.heartbeat", "schedule": 60.0},
    "core-purge-idempotency-keys": {"task": "core.purge_idempotency_keys", "schedule": 3600.0},
    "auth-purge-form-stashes": {"task": "auth.purge_form_stashes", "schedule": 3600.0},
    "cohorts-enforce-windows": {"task": "cohorts.enforce_windows", "schedule": 60.0},
    "cohorts-send-reminders": {"task": "cohorts.send_reminders", "schedule": 300.0},
    "notifications-deliver-outbox": {"task": "notifications.deliver_outbox", "schedule": 60.0},
    "cohorts-retake-stalled-imports": {"task": "cohorts.retake_stalled_imports", "schedule": 300.0},
    "records-deliver-xapi": {"task": "records.deliver_xapi", "schedule": 30.0},
}


def _scaled(schedule: dict, scale: float) -> dict:
    """The schedule with every interval multiplied by ``scale`` (fault tests run the beat fast)."""
    return {name: {**entry, "schedule": entry["schedule"] * scale} for name, entry in schedule.items()}


def celery_config(app: Flask) -> dict:
    broker = app.config["BROKER_URL"]
    conf = {
        "broker_url": broker,
        "task_ignore_result": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "timezone": "UTC",
        "enable_utc": True,
        "beat_schedule": _scaled(BEAT_SCHEDULE, app.config.get("BEAT_INTERVAL_SCALE", 1.0)),
        "beat_schedule_filename": str(Path(app.instance_path) / "celerybeat-schedule"),
        "broker_connection_retry_on_startup": True,
    }
    if broker.startswith("filesystem://"):
        # The embedded broker: messages are files under instance/, so no server is needed.
        folder = Path(app.config.get("BROKER_FOLDER") or Path(app.instance_path) / "broker")
        for sub in ("queue", "processed"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        conf["broker_transport_options"] = {
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "processed_folder": str(folder / "processed"),
            "store_processed": False,
        }
        conf["worker_enable_remote_control"] = False
    return conf


def celery_init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return observability.run_task(self.name, self.request.id, _request_id_of(self.request),
                                              lambda: self.run(*args, **kwargs))

    celery_app = Celery(app.name, task_cls=FlaskTask, include=TASK_MODULES)
    celery_app.config_from_object(celery_config(app))
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    if app.config.get("LOG_FORMAT") == "json":
        signals.after_setup_logger.connect(_json_logs, weak=False)
        signals.after_setup_task_logger.connect(_json_logs, weak=False)
    return celery_app


def _request_id_of(request) -> str | None:
    """The request id a task was sent with (a custom message header)."""
    return getattr(request, "lms_request_id", None) or (getattr(request, "headers", None) or {}).get("lms_request_id")


def _json_logs(logger=None, **_kwargs) -> None:
    observability.use_json_logs(logger)


@signals.before_task_publish.connect
def _carry_request_id(headers=None, **_kwargs) -> None:
    """A task sent while serving a request carries the request's id, so its log lines can be joined to it."""
    if headers is not None:
        headers.update(observability.task_headers())

