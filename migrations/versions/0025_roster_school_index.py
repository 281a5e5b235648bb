"""roster entries indexed by cohort and school: the names of one page of the report by school

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-30 19:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_roster_entries_cohort_npsn", "roster_entries", ["cohort_id", "npsn"])


def downgrade():
    op.drop_index("ix_roster_entries_cohort_npsn", table_name="roster_entries")
