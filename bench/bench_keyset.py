"""What a late page of a long list costs by OFFSET and by cursor (PostgreSQL, in-process).

    python bench/bench_keyset.py [--entries 1600000] [--events 1000000] [--page 5000] [--database-url URL]

A fresh, migrated database gets one published selection run of N ranked candidates (34 quota groups, as the
1.6 million of the 2024 pool) and M audit events, made in SQL with generate_series. For the public announcement
(``announcement.lines_page``) and the audit log (``tools.audit_page``), page 1 and page P are read by OFFSET and
by cursor (the cursor of the row just before page P). Printed per read: the CPU time of this process
(``time.process_time``), the wall time, and the shared buffers PostgreSQL touched for the page's statement
(``EXPLAIN (ANALYZE, BUFFERS)``: a count that does not depend on how loaded the machine is).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import DEFAULT_URL, fresh_database, instance_dir, lms_env, run_lms  # noqa: E402

GENERATE = """
INSERT INTO selection_runs (policy_id, input_hash, params, status, counts, errors, created_at, published_at)
VALUES ('pgt2024', repeat('0', 64), '{}', 'done', '{}', '[]', now(), now());
INSERT INTO selection_entries (run_id, line, nik_hash, nik_encrypted, nama, nama_key, email, npsn, satuan_pendidikan,
                               kode_kabkota, quota_group, sort_key, rank, status, alasan)
SELECT (SELECT max(id) FROM selection_runs), g, md5(g::text), 'x', 'Calon ' || g, 'calon ' || g, g || '@x.id', '',
       '', lpad((11 + g %% 34)::text, 2, '0') || '01', lpad((11 + g %% 34)::text, 2, '0'), '', g / 34 + 1,
       'ditetapkan', ''
FROM generate_series(1, %(entries)s) AS g;
INSERT INTO audit_events (at, action, subject_type, subject_id, data)
SELECT now() - g * interval '1 second', 'bench.event', 'bench', g::text, '{}'
FROM generate_series(1, %(events)s) AS g;
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_600_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--page", type=int, default=5000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    with fresh_database(args.database_url) as db, instance_dir() as instance:
        env = lms_env(db, instance)
        run_lms(["db", "upgrade"], env, timeout=900).check()
        with psycopg.connect(db.url) as conn:
            start = time.perf_counter()
            for statement in GENERATE.split(";")[:-1]:
                conn.execute(statement, {"entries": args.entries, "events": args.events})
            conn.commit()
            print(f"generated {args.entries:,} candidates and {args.events:,} audit events in "
                  f"{time.perf_counter() - start:.1f} s")
        with psycopg.connect(db.url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")

        from sqlalchemy import event

        from lms import create_app
        from lms.admin import tools
        from lms.extensions import db as sqla
        from lms.selection import announcement
        from lms.selection.models import SelectionRun

        app = create_app({}, env=env)
        with app.app_context():
            run = sqla.session.get(SelectionRun, sqla.session.scalar(sqla.select(sqla.func.max(SelectionRun.id))))
            lists = {
                "announcement": (lambda **kw: announcement.lines_page(run, provinsi=None, kabkota=None, **kw),
                                 "selection_entries.quota_group"),
                "audit log": (lambda **kw: tools.audit_page(actor=None, action=None, subject=None, since=None,
                                                            until=None, **kw), "audit_events.at"),
            }
            for name, (read, marker) in lists.items():
                before = read(page=args.page - 1)  # by OFFSET: its last row's cursor starts page P
                for label, kwargs in (("page 1", {}), (f"page {args.page} by OFFSET", {"page": args.page}),
                                      (f"page {args.page} by cursor", {"page": args.page,
                                                                      "after": before.next_cursor})):
                    seen = []

                    def keep(conn, cursor, statement, parameters, context, executemany, seen=seen, marker=marker):
                        if f"ORDER BY {marker}" in statement:
                            seen.append((statement, parameters))

                    event.listen(sqla.engine, "before_cursor_execute", keep)
                    cpu, wall = time.process_time(), time.perf_counter()
                    page = read(**kwargs)
                    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                    event.remove(sqla.engine, "before_cursor_execute", keep)
                    statement, parameters = seen[-1]
                    plan = [row[0] for row in sqla.session.connection().exec_driver_sql(
                        "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)]
                    touched = _top_buffers(plan)
                    print(f"{name}, {label}: {len(page.rows)} rows of {page.total:,}; process CPU {cpu * 1000:.1f} ms, "
                          f"wall {wall * 1000:.1f} ms, buffers touched by the page's statement {touched:,}")
                    sqla.session.rollback()
    print(f"load average at end: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")


def _top_buffers(plan: list[str]) -> int:
    """The plan's first ``Buffers:`` line (the top node's, which includes its children)."""
    for line in plan:
        if "Buffers:" in line:
            return sum(int(n) for n in re.findall(r"(?:hit|read)=(\d+)", line))
    return 0


if __name__ == "__main__":
    main()
