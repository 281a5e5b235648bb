"""school (NPSN) on enrollments and progress summary rows: the report by school groups two indexes, as the reports
by kab/kota do, instead of joining the accounts and the roster

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30 17:45:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

#: Each enrollment's school: the NPSN of its cohort's roster entry for the account's e-mail (what the report by
#: school joined until now). Correlated subqueries: both dialects read them.
BACKFILL_ENROLLMENTS = """
UPDATE enrollments SET npsn = (
    SELECT r.npsn FROM roster_entries r JOIN users u ON u.email = r.email
    WHERE u.id = enrollments.user_id AND r.cohort_id = enrollments.cohort_id)
WHERE EXISTS (SELECT 1 FROM roster_entries r JOIN users u ON u.email = r.email
              WHERE u.id = enrollments.user_id AND r.cohort_id = enrollments.cohort_id)
"""
BACKFILL_SUMMARY = """
UPDATE progress_summary SET npsn = (SELECT e.npsn FROM enrollments e WHERE e.id = progress_summary.enrollment_id)
WHERE EXISTS (SELECT 1 FROM enrollments e WHERE e.id = progress_summary.enrollment_id AND e.npsn IS NOT NULL)
"""


def upgrade():
    op.add_column('enrollments', sa.Column('npsn', sa.String(length=8), nullable=True))
    op.add_column('progress_summary', sa.Column('npsn', sa.String(length=8), nullable=True))
    op.execute(BACKFILL_ENROLLMENTS)
    op.execute(BACKFILL_SUMMARY)
    op.create_index('ix_enrollments_cohort_npsn', 'enrollments', ['cohort_id', 'npsn'],
                    postgresql_include=['status', 'completed_at'])
    op.create_index('ix_progress_summary_cohort_npsn', 'progress_summary', ['cohort_id', 'npsn'],
                    postgresql_include=['parts_done'])


def downgrade():
    op.drop_index('ix_progress_summary_cohort_npsn', table_name='progress_summary')
    op.drop_index('ix_enrollments_cohort_npsn', table_name='enrollments')
    with op.batch_alter_table('progress_summary') as batch:
        batch.drop_column('npsn')
    with op.batch_alter_table('enrollments') as batch:
        batch.drop_column('npsn')
