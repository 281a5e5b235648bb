"""Request ids, structured JSON logs and Prometheus metrics, for web processes and workers alike.

- Every request gets an id (the proxy's ``X-Request-ID`` when it is a plain token, else a new one), returned in
  the response header, written in every log line, and carried to the Celery tasks the request starts.
- ``LMS_LOG_FORMAT=json`` (the production default) writes one JSON object per log line.
- ``GET /metrics`` (Prometheus text format) needs ``Authorization: Bearer $LMS_METRICS_TOKEN``; without a token
  configured it does not exist (404). With ``PROMETHEUS_MULTIPROC_DIR`` set (gunicorn ``-w N`` and the worker's
  pool processes on one host), it aggregates every process of the host.
"""

from __future__ import annotations

import hmac
import json
import logging
import math
import os
import re
import time
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from lms.core import jsontext

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
#: The id of the request (or of the request that started the task) this code runs for.
request_id_var: ContextVar[str | None] = ContextVar("lms_request_id", default=None)
#: The Celery task this code runs in: ``(task name, task id)``.
task_var: ContextVar[tuple[str, str] | None] = ContextVar("lms_task", default=None)
#: The key, in ``app.extensions``, of the functions that report gauges read at scrape time (``-> [(name, help,
#: value)]``): domains register them from the app factory, so that this module imports none of them.
SCRAPE_GAUGES = "lms.scrape_gauges"

REQUEST_LATENCY = Histogram("lms_http_request_duration_seconds", "Time to answer a request, per endpoint.",
                            ["endpoint", "method"],
                            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
REQUESTS = Counter("lms_http_requests_total", "Requests answered, per endpoint and status.",
                   ["endpoint", "method", "status"])
TASKS = Counter("lms_tasks_total", "Celery tasks run, per task and outcome (succeeded, failed).", ["task", "outcome"])
TASK_DURATION = Histogram("lms_task_duration_seconds", "Time a Celery task ran.", ["task"],
                          buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 1800.0))

access_log = logging.getLogger("lms.access")


# --- request ids ------------------------------------------------------------------------------------------------

def _new_request_id() -> str:
    """32 random hex digits, as ``uuid.uuid4().hex`` but without building a ``UUID``."""
    return os.urandom(16).hex()


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: The metrics' children per label values: ``labels()`` takes a lock and checks its arguments on every call.
_LATENCY_CHILDREN: dict[tuple[str, str], Any] = {}
_REQUEST_CHILDREN: dict[tuple[str, str, int], Any] = {}


def _latency(endpoint: str, method: str):
    child = _LATENCY_CHILDREN.get((endpoint, method))
    if child is None:
        child = _LATENCY_CHILDREN[endpoint, method] = REQUEST_LATENCY.labels(endpoint, method)
    return child


def _requests(endpoint: str, method: str, status: int):
    child = _REQUEST_CHILDREN.get((endpoint, method, status))
    if child is None:
        child = _REQUEST_CHILDREN[endpoint, method, status] = REQUESTS.labels(endpoint, method, str(status))
    return child


def _start_request() -> None:
    incoming = request.environ.get("HTTP_X_REQUEST_ID", "")
    request_id = incoming if _VALID_ID.match(incoming) else _new_request_id()
    state = g._get_current_object()  # one look-up of the context-local, not one per attribute
    state.request_id = request_id
    state.request_started = time.perf_counter()
    state.request_id_token = request_id_var.set(request_id)


def _finish_request(response: Response) -> Response:
    state = g._get_current_object()
    request_id = state.get("request_id")
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id
    started = state.get("request_started")
    if started is not None:
        req = request._get_current_object()
        endpoint, elapsed = req.endpoint or "unmatched", time.perf_counter() - started
        method, status = req.method, response.status_code
        if method not in _METHODS:
            method = "OTHER"  # a client's made-up method must not add a metric (and a cached child) per name
        _latency(endpoint, method).observe(elapsed)
        _requests(endpoint, method, status).inc()
        if current_app.config.get("LOG_FORMAT") == "json" and access_log.isEnabledFor(logging.INFO):
            # ``access_log.info(...)`` without its search of the stack for the caller (always this function, whose
            # first line the record names): the same record, to the same handlers.
            access_log.handle(access_log.makeRecord(
                access_log.name, logging.INFO, __file__, _FINISH_LINE, "%s %s %s", (req.method, req.path, status),
                None, "_finish_request",
                {"status": status, "duration_ms": round(elapsed * 1000, 1), "endpoint": endpoint}))
    return response


_FINISH_LINE = _finish_request.__code__.co_firstlineno


def _end_request(exc: BaseException | None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        request_id_var.reset(token)


def task_headers() -> dict[str, str]:
    """Headers that carry the current request id to a task being sent."""
    request_id = request_id_var.get()
    return {"lms_request_id": request_id} if request_id else {}


def run_task(name: str, task_id: str, request_id: str | None, body: Callable):
    """Run a task's body with its request id and name in the logs, counted and timed."""
    tokens = (request_id_var.set(request_id), task_var.set((name, task_id)))
    started = time.perf_counter()
    try:
        result = body()
    except BaseException:
        TASKS.labels(name, "failed").inc()
        raise
    else:
        TASKS.labels(name, "succeeded").inc()
        return result
    finally:
        TASK_DURATION.labels(name).observe(time.perf_counter() - started)
        task_var.reset(tokens[1])
        request_id_var.reset(tokens[0])


# --- JSON logs --------------------------------------------------------------------------------------------------

_EXTRA_FIELDS = ("status", "duration_ms", "endpoint")
#: The last second written by ``utc_time`` and its text: one line after another mostly falls in the same second.
_last_second: tuple[int, str] = (-1, "")


def utc_time(created: float) -> str:
    """``datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")``, the date and time of each second
    made once: as ``fromtimestamp``, the fraction is rounded half to even to microseconds (a carry goes to the
    second), then cut to milliseconds."""
    global _last_second
    second = math.floor(created)
    micro = round((created - second) * 1e6)
    if micro >= 1_000_000:
        second, micro = second + 1, micro - 1_000_000
    last = _last_second
    if last[0] == second:
        text = last[1]
    else:
        text = datetime.fromtimestamp(second, UTC).replace(tzinfo=None).isoformat()
        _last_second = (second, text)
    return f"{text}.{micro // 1000:03d}+00:00"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, task, and the exception if any; written
    compact by orjson (``jsontext.compact_text``), any value JSON has no type for as its ``str()``."""

    def format(self, record: logging.LogRecord) -> str:
        body = {"time": utc_time(record.created),
                "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        request_id = request_id_var.get()
        if request_id:
            body["request_id"] = request_id
        task = task_var.get()
        if task:
            body["task"], body["task_id"] = task
        for field in _EXTRA_FIELDS:
            if hasattr(record, field):
                body[field] = getattr(record, field)
        if record.exc_info:
            body["exception"] = self.formatException(record.exc_info)
        return jsontext.compact_text(body, str, fallback=_stdlib_line)


def _stdlib_line(body: dict) -> str:
    return json.dumps(body, ensure_ascii=False, default=str, separators=(",", ":"))


def use_json_logs(logger: logging.Logger | None = None) -> None:
    """Give every handler of ``logger`` (the root logger by default; one stderr handler if it has none) the
    JSON formatter."""
    logger = logger or logging.getLogger()
    if not logger.handlers:
        logger.addHandler(logging.StreamHandler())
    for handler in logger.handlers:
        handler.setFormatter(JsonFormatter())
    if logger.level == logging.NOTSET or logger.level > logging.INFO:
        logger.setLevel(logging.INFO)


# --- metrics ----------------------------------------------------------------------------------------------------

class _ScrapeGauges:
    """Gauges computed when scraped (the outbox's age), from the functions domains registered."""

    def __init__(self, sources: Iterable[Callable[[], list[tuple[str, str, float]]]]):
        self.sources = list(sources)

    def collect(self):
        for source in self.sources:
            for name, help_text, value in source():
                yield GaugeMetricFamily(name, help_text, value=value)


def register_scrape_gauges(app: Flask, source: Callable[[], list[tuple[str, str, float]]]) -> None:
    app.extensions.setdefault(SCRAPE_GAUGES, []).append(source)


def metrics_view():
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        abort(404)
    scheme, _sep, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        abort(401)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        output = generate_latest(registry)
    else:
        output = generate_latest(REGISTRY)
    scraped = CollectorRegistry()
    scraped.register(_ScrapeGauges(current_app.extensions.get(SCRAPE_GAUGES, [])))
    return Response(output + generate_latest(scraped), mimetype=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    app.before_request_funcs.setdefault(None, []).insert(0, _start_request)  # first: every log line has the id
    app.after_request(_finish_request)
    app.teardown_request(_end_request)
    app.add_url_rule("/metrics", "metrics", metrics_view)
    if app.config.get("LOG_FORMAT") == "json":
        use_json_logs()
