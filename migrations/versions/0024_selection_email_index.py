"""selection entries by e-mail (stored in lower case): a teacher's own determination (every dashboard view's
status line, the gate, the own page) reads the candidate's few entries through an index, not every run's list

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-30 17:45:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_selection_entries_email', 'selection_entries', ['email'])


def downgrade():
    op.drop_index('ix_selection_entries_email', table_name='selection_entries')
