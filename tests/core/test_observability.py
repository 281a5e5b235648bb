"""Request ids (to the response, the logs and the tasks a request starts), JSON logs, and /metrics."""

from __future__ import annotations

import io
import json
import logging
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
