"""a compact change log

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-06

The index of the change log by record held the row id, the field and the whole clock
stamp of every change (a third of the log's bytes): every query through it names the
record's id first (a field's clock, a record's history, the rows an apply touches) and
then reads the few changes of that record, so an index of the row id alone serves them.
"""

from alembic import op

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_change_row", table_name="change")
    op.create_index("ix_change_row_id", "change", ["row_id"])


def downgrade() -> None:
    op.drop_index("ix_change_row_id", table_name="change")
    op.create_index("ix_change_row", "change", ["row_id", "field", "hlc"])
