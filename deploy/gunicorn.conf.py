"""gunicorn settings for lms: `gunicorn -c deploy/gunicorn.conf.py 'lms:create_app()'`.

SIGTERM is a graceful stop: the arbiter stops accepting, lets every worker finish its
in-flight requests for up to ``graceful_timeout`` seconds, then exits.
"""

import os

bind = os.environ.get("LMS_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("LMS_WEB_WORKERS", "4"))
threads = int(os.environ.get("LMS_WEB_THREADS", "1"))
graceful_timeout = int(os.environ.get("LMS_GRACEFUL_TIMEOUT", "30"))
timeout = 60
# Behind a proxy: keep-alive a little longer than the proxy's upstream keep-alive.
keepalive = 5
accesslog = None  # the app writes one JSON line per request (with its request id)


def child_exit(server, worker):
    """A web process that exits leaves its Prometheus samples behind; mark them dead (multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
