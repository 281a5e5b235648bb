"""roster import: staging without a foreign key on import_id and UNLOGGED on PostgreSQL (loading 300 000 rows
was mostly the per-row foreign-key trigger and the WAL); the roster's NIK-hash look-up index is a hash index
(equality only; far cheaper to fill with random 64-character keys than a btree)

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 12:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('roster_import_rows', schema=None) as batch_op:
        batch_op.drop_constraint('fk_roster_import_rows_import_id_roster_imports', type_='foreignkey')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE roster_import_rows SET UNLOGGED')
    op.drop_index('ix_roster_entries_nik_hash', table_name='roster_entries')
    op.create_index('ix_roster_entries_nik_hash', 'roster_entries', ['nik_hash'], postgresql_using='hash')


def downgrade():
    op.drop_index('ix_roster_entries_nik_hash', table_name='roster_entries')
    op.create_index('ix_roster_entries_nik_hash', 'roster_entries', ['nik_hash'])
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE roster_import_rows SET LOGGED')
    with op.batch_alter_table('roster_import_rows', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_roster_import_rows_import_id_roster_imports', 'roster_imports',
                                    ['import_id'], ['id'], ondelete='CASCADE')
