"""enrollments by cohort and kab/kota: a region's participants (regional pages, a province's or kab/kota's page of
the list, its count) read through an index instead of the whole cohort

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30 14:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    # The grouped progress reports also count statuses and completions per kab/kota from this index alone.
    op.create_index('ix_enrollments_cohort_kabkota', 'enrollments', ['cohort_id', 'kode_kabkota'],
                    postgresql_include=['status', 'completed_at'])


def downgrade():
    op.drop_index('ix_enrollments_cohort_kabkota', table_name='enrollments')
