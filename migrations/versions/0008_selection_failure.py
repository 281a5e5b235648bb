"""selection: the reason a run failed

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('selection_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failure_reason', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('selection_runs', schema=None) as batch_op:
        batch_op.drop_column('failure_reason')
