"""Time the "berisiko" list and the province chart's query on a large cohort (PostgreSQL, in-process).

    python bench/bench_at_risk.py --enrollments 300000 [--database-url URL] [--keep]

A fresh database (migrated, demo data loaded) gets N 'aktif' participants in the DEMO cohort, made in SQL with
generate_series, spread over five kab/kota, each with 0-4 materi done on one of the last ten days.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import DEFAULT_URL, fresh_database, instance_dir, lms_env, run_lms  # noqa: E402

GENERATE = """
INSERT INTO users (email, name, created_at, active)
SELECT format('risk.%%s@guru.sd.belajar.id', lpad(g::text, 7, '0')), 'Peserta ' || g, now(), true
FROM generate_series(1, %(n)s) AS g;
INSERT INTO enrollments (user_id, cohort_id, programme_year, status, kode_kabkota, created_at)
SELECT u.id, c.id, c.programme_year, 'aktif', (ARRAY['3171','3273','3578','7371','1271'])[1 + u.id %% 5], now()
FROM users u JOIN cohorts c ON c.code = 'DEMO' WHERE u.email LIKE 'risk.%%';
INSERT INTO materi_progress (enrollment_id, materi_id, done_at)
SELECT e.id, m.id, %(at)s - (e.id %% 10) * interval '1 day'
FROM enrollments e JOIN cohorts c ON c.id = e.cohort_id AND c.code = 'DEMO'
JOIN LATERAL (SELECT ma.id FROM materi ma JOIN modules mo ON mo.id = ma.module_id
              WHERE mo.curriculum_id = c.curriculum_id ORDER BY mo.position, ma.position LIMIT e.id %% 5) m ON true
JOIN users u ON u.id = e.user_id WHERE u.email LIKE 'risk.%%'
ON CONFLICT DO NOTHING;
"""


def timed(label: str, fn):
    start = time.perf_counter()
    result = fn()
    print(f"{label}: {time.perf_counter() - start:.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enrollments", type=int, default=300_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    with fresh_database(args.database_url, keep=args.keep) as db, instance_dir() as instance:
        env = lms_env(db, instance)
        for setup in (["db", "upgrade"], ["demo"]):
            run_lms(setup, env, timeout=900).check()
        with psycopg.connect(db.url) as conn:
            opens, closes = conn.execute("SELECT learning_opens_at, learning_closes_at FROM cohorts "
                                         "WHERE code = 'DEMO'").fetchone()
        now = opens + (closes - opens) * 0.6
        with psycopg.connect(db.url) as conn:
            start = time.perf_counter()
            for statement in GENERATE.split(";")[:-1]:
                conn.execute(statement, {"n": args.enrollments, "at": now - timedelta(hours=1)})
            conn.commit()
            print(f"generated {args.enrollments:,} participants in {time.perf_counter() - start:.1f} s")
        with psycopg.connect(db.url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")

        from lms import create_app
        from lms.admin import reports, risk
        from lms.cohorts import services as cohorts

        app = create_app({}, env=env)
        with app.app_context():
            cohort = cohorts.find_cohort("DEMO")
            first = timed("at-risk page 1 (50 rows + total)", lambda: risk.at_risk_page(cohort, now=now, page=1))
            print(f"  {first.total:,} at risk")
            timed("at-risk page 100", lambda: risk.at_risk_page(cohort, now=now, page=100))
            timed("at-risk page 1, one kab/kota", lambda: risk.at_risk_page(cohort, now=now, page=1, region="7371"))
            csv = timed("at-risk CSV (all)", lambda: "".join(risk.at_risk_csv(cohort, now=now)))
            print(f"  {len(csv) / 1e6:.1f} MB")
            timed("province chart (progress report by province)", lambda: reports.progress_report(cohort, "province"))


if __name__ == "__main__":
    main()
