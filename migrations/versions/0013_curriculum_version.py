"""curriculum version: bumped by every import, so that a process can cache the curriculum's structure

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 09:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('curricula', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    with op.batch_alter_table('curricula', schema=None) as batch_op:
        batch_op.drop_column('version')
