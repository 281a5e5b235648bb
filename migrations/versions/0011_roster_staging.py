"""roster staging: only (import_id, line) indexed (the random-key indexes slowed loading)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 09:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('roster_import_rows', schema=None) as batch_op:
        batch_op.drop_index('ix_roster_import_rows_import_nik')
        batch_op.drop_index('ix_roster_import_rows_import_email')


def downgrade():
    with op.batch_alter_table('roster_import_rows', schema=None) as batch_op:
        batch_op.create_index('ix_roster_import_rows_import_nik', ['import_id', 'nik_hash'], unique=False)
        batch_op.create_index('ix_roster_import_rows_import_email', ['import_id', 'email'], unique=False)
