"""The reports benchmark's plumbing: it builds, serves, times every request and streams the CSV, at a small size."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.bench_reports import p95, scenarios
from tests.conftest import PG_ADMIN_URL

ROOT = Path(__file__).resolve().parent.parent.parent


def test_p95_is_the_nearest_rank():
    assert p95([5.0]) == 5.0
    assert p95([float(n) for n in range(1, 21)]) == 19.0
    assert p95([3.0, 1.0, 2.0]) == 3.0


def test_every_report_grouping_and_list_is_timed():
    from bench.bench_reports import ADMIN, DINAS, Visitor

    labels = [label for label, _, _ in scenarios({ADMIN: Visitor("a", "c=1"), DINAS: Visitor("d", "c=2")}, "CUR", 5000,
                                                 2000)]
    for needed in ("group=province", "group=kabkota", "group=school", "at-risk, first page", "at-risk, page 20",
                   "at-risk, typed page 2000",
                   "drill-down", "enrollments page 1", "page 5000 (offset)", "page 5000 (cursor)"):
        assert any(needed in label for label in labels), needed


@pytest.mark.postgres
def test_a_small_run_end_to_end(postgresql_databases):
    env = {**os.environ, "LMS_BENCH_REDIS_URL": os.environ.get("LMS_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")}
    done = subprocess.run([sys.executable, "bench/bench_reports.py", "--participants", "150", "--repeat", "1",
                           "--database-url", PG_ADMIN_URL],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "API progress group=school" in done.stdout and "API enrollments page 4 (cursor)" in done.stdout
    assert "CSV export of DEMO (every participant, streamed): 151 rows" in done.stdout
    assert "identity" in done.stdout and "gzip" in done.stdout
    assert "At-risk CSV of DEMO (streamed, identity)" in done.stdout
