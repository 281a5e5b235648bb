"""selection transparency: each candidate's last notified status, the policy files a run used, a name index

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 14:20:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('selection_entries') as batch:
        batch.add_column(sa.Column('notified_status', sa.String(length=24), nullable=True))
        batch.add_column(sa.Column('nama_key', sa.String(length=200), nullable=True))
    with op.batch_alter_table('selection_runs') as batch:
        batch.add_column(sa.Column('policy_files', sa.JSON(), nullable=True))
    # Runs published before this revision had their notices queued already: not again on a republish.
    op.execute("UPDATE selection_entries SET notified_status = status WHERE status <> 'pending' AND run_id IN "
               "(SELECT id FROM selection_runs WHERE published_at IS NOT NULL)")
    op.execute("UPDATE selection_entries SET nama_key = lower(nama)")
    # The announcement's name search is a prefix match on nama_key: text_pattern_ops lets PostgreSQL use the
    # index for LIKE 'prefix%' whatever the database's collation.
    op.create_index('ix_selection_entries_run_nama_key', 'selection_entries', ['run_id', 'nama_key'],
                    postgresql_ops={'nama_key': 'text_pattern_ops'})


def downgrade():
    op.drop_index('ix_selection_entries_run_nama_key', table_name='selection_entries')
    with op.batch_alter_table('selection_runs') as batch:
        batch.drop_column('policy_files')
    with op.batch_alter_table('selection_entries') as batch:
        batch.drop_column('nama_key')
        batch.drop_column('notified_status')
