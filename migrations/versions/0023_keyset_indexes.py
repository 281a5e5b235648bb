"""keyset paging: an index in the order of each long list (audit log, outbox, a run's published list, removal
proposals), so that a page after a cursor starts with an index lookup instead of reading and sorting the rows
before it

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-30 17:40:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    # (at, id) serves what the index on at alone served (day ranges) and the log's order.
    op.drop_index('ix_audit_events_at', table_name='audit_events')
    op.create_index('ix_audit_events_at_id', 'audit_events', ['at', 'id'])
    op.create_index('ix_outbox_messages_created_id', 'outbox_messages', ['created_at', 'id'])
    op.create_index('ix_selection_entries_run_group_rank', 'selection_entries',
                    ['run_id', 'quota_group', 'rank', 'line'])
    op.create_index('ix_removal_proposals_proposed_id', 'removal_proposals', ['proposed_at', 'id'])


def downgrade():
    op.drop_index('ix_removal_proposals_proposed_id', table_name='removal_proposals')
    op.drop_index('ix_selection_entries_run_group_rank', table_name='selection_entries')
    op.drop_index('ix_outbox_messages_created_id', table_name='outbox_messages')
    op.drop_index('ix_audit_events_at_id', table_name='audit_events')
    op.create_index('ix_audit_events_at', 'audit_events', ['at'])
