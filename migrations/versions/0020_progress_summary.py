"""progress read model: one summary row per enrollment, backfilled from the raw rows

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30 14:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

#: The same set-based statement as ``lms progress rebuild`` (``lms.progress.rebuild.live``), in plain SQL that
#: both dialects read: parts of each cohort's curriculum, materi done, modules with a post-test attempt,
#: submitted journals and the latest instant among them.
BACKFILL = """
INSERT INTO progress_summary (enrollment_id, cohort_id, kode_kabkota, parts_total, parts_done, materi_done, posttests_done,
                              journals_done, last_activity_at)
SELECT e.id, e.cohort_id, e.kode_kabkota, COALESCE(t.n, 0), COALESCE(m.n, 0) + COALESCE(a.n, 0) + COALESCE(j.n, 0),
       COALESCE(m.n, 0), COALESCE(a.n, 0), COALESCE(j.n, 0), l.at
FROM enrollments e
LEFT JOIN (SELECT c.id AS cohort_id, COUNT(mt.id) + 2 * COUNT(DISTINCT mo.id) AS n
           FROM cohorts c JOIN modules mo ON mo.curriculum_id = c.curriculum_id
           LEFT JOIN materi mt ON mt.module_id = mo.id GROUP BY c.id) t ON t.cohort_id = e.cohort_id
LEFT JOIN (SELECT enrollment_id AS eid, COUNT(*) AS n FROM materi_progress GROUP BY enrollment_id) m
       ON m.eid = e.id
LEFT JOIN (SELECT enrollment_id AS eid, COUNT(DISTINCT module_id) AS n FROM posttest_attempts
           GROUP BY enrollment_id) a ON a.eid = e.id
LEFT JOIN (SELECT enrollment_id AS eid, COUNT(*) AS n FROM journal_entries WHERE status = 'submitted'
           GROUP BY enrollment_id) j ON j.eid = e.id
LEFT JOIN (SELECT eid, MAX(at) AS at FROM (
              SELECT enrollment_id AS eid, MAX(done_at) AS at FROM materi_progress GROUP BY enrollment_id
              UNION ALL SELECT enrollment_id, MAX(submitted_at) FROM posttest_attempts GROUP BY enrollment_id
              UNION ALL SELECT enrollment_id, MAX(updated_at) FROM journal_entries GROUP BY enrollment_id) x
           GROUP BY eid) l ON l.eid = e.id
"""


def upgrade():
    op.create_table(
        'progress_summary',
        sa.Column('enrollment_id', sa.Integer(), nullable=False),
        sa.Column('cohort_id', sa.Integer(), nullable=False),
        sa.Column('kode_kabkota', sa.String(length=4), nullable=True),
        sa.Column('parts_total', sa.Integer(), nullable=False),
        sa.Column('parts_done', sa.Integer(), nullable=False),
        sa.Column('materi_done', sa.Integer(), nullable=False),
        sa.Column('posttests_done', sa.Integer(), nullable=False),
        sa.Column('journals_done', sa.Integer(), nullable=False),
        sa.Column('last_activity_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'],
                                name=op.f('fk_progress_summary_cohort_id_cohorts'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['enrollment_id'], ['enrollments.id'],
                                name=op.f('fk_progress_summary_enrollment_id_enrollments'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('enrollment_id', name=op.f('pk_progress_summary')),
    )
    op.create_index('ix_progress_summary_cohort_kabkota', 'progress_summary', ['cohort_id', 'kode_kabkota'],
                    postgresql_include=['parts_done', 'last_activity_at'])
    op.execute(BACKFILL)


def downgrade():
    op.drop_index('ix_progress_summary_cohort_kabkota', table_name='progress_summary')
    op.drop_table('progress_summary')
