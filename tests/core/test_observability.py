"""Request ids (to the response, the logs and the tasks a request starts), JSON logs, and /metrics."""

from __future__ import annotations

import io
import json
import logging
import random
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

from lms.cohorts import tasks as cohort_tasks
from lms.core import observability

TOKEN = "metrics-test-token"


def test_every_response_has_a_request_id(client):
    first = client.get("/healthz")
    assert len(first.headers["X-Request-ID"]) == 32
    kept = client.get("/healthz", headers={"X-Request-ID": "proxy-abc.123"})
    assert kept.headers["X-Request-ID"] == "proxy-abc.123"
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert replaced.headers["X-Request-ID"] != "bad id\twith spaces"


def test_a_task_logs_in_json_with_the_request_id_that_started_it(app):
    headers = {}
    token = observability.request_id_var.set("req-42")
    try:
        observability.task_headers() and headers.update(observability.task_headers())
    finally:
        observability.request_id_var.reset(token)
    assert headers == {"lms_request_id": "req-42"}
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(observability.JsonFormatter())
    app.logger.addHandler(handler)
    level = app.logger.level
    app.logger.setLevel(logging.INFO)
    try:
        cohort_tasks.enforce_windows.apply(headers=headers).get()
    finally:
        app.logger.removeHandler(handler)
        app.logger.setLevel(level)
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["message"].startswith("windows enforced")
    assert line["request_id"] == "req-42" and line["task"] == "cohorts.enforce_windows" and line["task_id"]
    assert line["level"] == "INFO" and line["time"].endswith("+00:00")


def test_metrics_need_the_token(make_app):
    assert make_app().test_client().get("/metrics").status_code == 404  # no token configured: no endpoint
    app = make_app(env={"LMS_METRICS_TOKEN": TOKEN})
    client = app.test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    client.get("/")
    cohort_tasks.enforce_windows.apply().get()
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert 'lms_http_request_duration_seconds_bucket{endpoint="core.home",le="0.005",method="GET"}' in text
    assert 'lms_http_requests_total{endpoint="core.home",method="GET",status="200"}' in text
    assert 'lms_tasks_total{outcome="succeeded",task="cohorts.enforce_windows"}' in text
    assert "lms_outbox_pending 0.0" in text and "lms_outbox_oldest_pending_age_seconds 0.0" in text


def test_metrics_count_a_made_up_method_as_other(make_app):
    """A client's invented HTTP methods must not add a metric series (and a cached child) per name."""
    app = make_app(env={"LMS_METRICS_TOKEN": TOKEN})
    client = app.test_client()
    for method in ("BREW", "PROPFIND-X1", "PROPFIND-X2"):
        client.open("/", method=method)
    text = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).get_data(as_text=True)
    assert 'method="OTHER"' in text
    assert "BREW" not in text and "PROPFIND-X1" not in text


def test_a_task_sent_while_serving_a_request_carries_its_id(app):
    folder = Path(app.config["BROKER_FOLDER"]) / "queue"
    with app.test_request_context("/", headers={"X-Request-ID": "req-from-proxy"}):
        app.preprocess_request()
        app.extensions["celery"].send_task("core.heartbeat")
    [message] = [json.loads(path.read_text()) for path in folder.iterdir()]
    assert message["headers"]["lms_request_id"] == "req-from-proxy"
    assert message["headers"]["task"] == "core.heartbeat"


class _Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


def _access_lines(app, send, log_format="json"):
    """The JSON access log lines, and the records, of the requests ``send(client)`` makes."""
    app.config["LOG_FORMAT"] = log_format
    stream, records = io.StringIO(), _Records()
    json_handler = logging.StreamHandler(stream)
    json_handler.setFormatter(observability.JsonFormatter())
    logger = observability.access_log
    saved = logger.level, logger.propagate
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger.addHandler(json_handler)
    logger.addHandler(records)
    try:
        send(app.test_client())
    finally:
        logger.removeHandler(json_handler)
        logger.removeHandler(records)
        logger.level, logger.propagate = saved
    return [json.loads(line) for line in stream.getvalue().splitlines()], records.records


def test_the_access_log_writes_one_json_line_per_request(app):
    lines, records = _access_lines(app, lambda client: (client.get("/healthz", headers={"X-Request-ID": "req-7"}),
                                                        client.get("/tidak-ada")))
    healthz, missing = lines
    assert set(healthz) == {"time", "level", "logger", "message", "request_id", "status", "duration_ms", "endpoint"}
    assert healthz["level"] == "INFO" and healthz["logger"] == "lms.access"
    assert healthz["message"] == "GET /healthz 200" and healthz["status"] == 200
    assert healthz["request_id"] == "req-7" and healthz["endpoint"] == "core.healthz"
    assert isinstance(healthz["duration_ms"], float) and healthz["duration_ms"] >= 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", healthz["time"])
    assert missing["status"] == 404 and missing["endpoint"] == "unmatched" and len(missing["request_id"]) == 32
    # The record is the one ``access_log.info`` made, from ``_finish_request``.
    record = records[0]
    assert record.msg == "%s %s %s" and record.args == ("GET", "/healthz", 200) and record.levelno == logging.INFO
    assert record.funcName == "_finish_request" and record.pathname == observability.__file__
    assert record.lineno == observability._finish_request.__code__.co_firstlineno


def test_no_access_log_line_out_of_json_format_or_when_the_logger_is_off(app):
    logger = observability.access_log
    logger.disabled = True
    try:
        assert _access_lines(app, lambda client: client.get("/healthz")) == ([], [])
    finally:
        logger.disabled = False
    assert _access_lines(app, lambda client: client.get("/healthz"), log_format="text") == ([], [])
    assert len(_access_lines(app, lambda client: client.get("/healthz"))[0]) == 1


def _formatted(record: logging.LogRecord) -> dict:
    text = observability.JsonFormatter().format(record)
    assert "\n" not in text
    return json.loads(text)


def test_the_json_formatter_writes_the_exception_text_and_any_extra_value():
    try:
        raise ValueError("gagal — sekali")
    except ValueError:
        record = logging.getLogger("lms.x").makeRecord("lms.x", logging.ERROR, __file__, 1, "ujung %s", ("ü",),
                                                        sys.exc_info(), extra={"status": 500, "endpoint": Path("a")})
    token = observability.request_id_var.set("req-9")
    try:
        line = _formatted(record)
    finally:
        observability.request_id_var.reset(token)
    assert line["message"] == "ujung ü" and line["level"] == "ERROR" and line["request_id"] == "req-9"
    assert line["status"] == 500 and line["endpoint"] == "a"  # a value JSON has no type for: its str()
    assert line["exception"].startswith("Traceback") and "ValueError: gagal — sekali" in line["exception"]
    assert "duration_ms" not in line and "task" not in line


def test_the_json_formatter_writes_what_orjson_refuses_with_the_standard_library():
    record = logging.LogRecord("lms.x", logging.INFO, __file__, 1, "ganjil %s", ("a\ud800b",), None)
    record.status = 2**70
    text = observability.JsonFormatter().format(record)
    assert json.loads(text)["message"] == "ganjil a\ud800b" and json.loads(text)["status"] == 2**70


def test_the_log_time_is_what_datetime_writes():
    stamps = [0.0, 1_790_000_000.0, 1_790_000_000.9995, 1_790_000_000.9999995, 1_790_000_000.9999996,
              1_790_000_059.999999, 1_790_000_000.0000005, 1_790_000_000.0015, 1_234_567_890.123_456_5]
    generator = random.Random(7)
    stamps += [generator.uniform(0, 4e9) for _ in range(20_000)]
    stamps += [generator.randrange(4_000_000_000) + generator.randrange(1_000_000) / 1e6 for _ in range(20_000)]
    for created in stamps:
        assert observability.utc_time(created) == \
            datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds"), created
