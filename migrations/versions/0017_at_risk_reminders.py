"""at-risk reminders: at most one per participant and day (the primary key arbitrates)

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 12:50:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'at_risk_reminders',
        sa.Column('enrollment_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['enrollment_id'], ['enrollments.id'],
                                name=op.f('fk_at_risk_reminders_enrollment_id_enrollments'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['sent_by_id'], ['users.id'],
                                name=op.f('fk_at_risk_reminders_sent_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('enrollment_id', 'day', name=op.f('pk_at_risk_reminders')),
    )


def downgrade():
    op.drop_table('at_risk_reminders')
