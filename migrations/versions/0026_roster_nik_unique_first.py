"""roster entries: the unique NIK hash per programme year is indexed NIK hash first, and serves the look-ups of a
NIK across years too; the hash index that served those is dropped (one index less to fill per roster entry)

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-30 23:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("roster_entries", schema=None) as batch_op:
        batch_op.drop_constraint("nik_per_year", type_="unique")
        batch_op.create_unique_constraint("nik_per_year", ["nik_hash", "programme_year"])
    op.drop_index("ix_roster_entries_nik_hash", table_name="roster_entries")


def downgrade():
    op.create_index("ix_roster_entries_nik_hash", "roster_entries", ["nik_hash"], postgresql_using="hash")
    with op.batch_alter_table("roster_entries", schema=None) as batch_op:
        batch_op.drop_constraint("nik_per_year", type_="unique")
        batch_op.create_unique_constraint("nik_per_year", ["programme_year", "nik_hash"])
