"""CPU of the production access log line, in process: ``observability._finish_request`` (request id header,
metrics, and with ``LOG_FORMAT=json`` the JSON line through the root logger's handler, here to ``/dev/null``),
once with the line and once without, on a bare Flask app; the difference is the line's cost.

    python bench/bench_access_log.py [--calls 20000] [--rounds 5]

Prints microseconds (lowest round, ``time.thread_time``) and Python calls per ``_finish_request`` for both. The tree
measured is the one this file lives in.
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask, Response  # noqa: E402

from lms.core import observability  # noqa: E402


def measure(log_format: str, calls: int, rounds: int) -> tuple[float, float]:
    app = Flask(__name__)
    app.config["LOG_FORMAT"] = log_format
    observability.init_app(app)  # json: use_json_logs() on the root logger, as in production
    devnull = open(os.devnull, "w")  # noqa: SIM115 - open for the whole run
    for handler in logging.getLogger().handlers:
        handler.setStream(devnull)
    response = Response("ok")
    with app.test_request_context("/api/v1/me/progress"):
        observability._start_request()
        for _ in range(calls // 10):
            observability._finish_request(response)
        best = float("inf")
        for _ in range(rounds):
            start = time.thread_time()
            for _ in range(calls):
                observability._finish_request(response)
            best = min(best, (time.thread_time() - start) / calls * 1e6)
        profiler = cProfile.Profile(time.thread_time)
        profiler.enable()
        for _ in range(1000):
            observability._finish_request(response)
        profiler.disable()
    return best, pstats.Stats(profiler).total_calls / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    without = measure("text", args.calls, args.rounds)
    with_line = measure("json", args.calls, args.rounds)
    print(f"tree {Path(__file__).resolve().parent.parent}: _finish_request without the line {without[0]:.1f} us "
          f"({without[1]:.0f} calls), with the JSON line {with_line[0]:.1f} us ({with_line[1]:.0f} calls): "
          f"the line {with_line[0] - without[0]:.1f} us, {with_line[1] - without[1]:.0f} calls")


if __name__ == "__main__":
    main()
