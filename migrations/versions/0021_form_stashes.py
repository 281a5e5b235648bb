"""form stashes: what was typed into a refused form, kept for one browser login across the redirect

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30 14:20:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'form_stashes',
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('session_id', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('scope', sa.String(length=100), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['session_id'], ['user_sessions.id'],
                                name=op.f('fk_form_stashes_session_id_user_sessions'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_form_stashes_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('token', name=op.f('pk_form_stashes')),
    )
    op.create_index(op.f('ix_form_stashes_session_id'), 'form_stashes', ['session_id'])
    op.create_index(op.f('ix_form_stashes_user_id'), 'form_stashes', ['user_id'])
    op.create_index(op.f('ix_form_stashes_expires_at'), 'form_stashes', ['expires_at'])


def downgrade():
    op.drop_table('form_stashes')
