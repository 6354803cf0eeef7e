"""open conflicts of team sharing

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24

Both sides changed one field without seeing each other's change: the value with the
highest stamp is kept everywhere, and the other one waits here for the user to decide.
Local to each device; recomputed from the change log.
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_conflict",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("row_id", sa.String(length=36), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("kept_value", sa.Text(), nullable=True),
        sa.Column("kept_device", sa.String(length=36), nullable=False),
        sa.Column("kept_hlc", sa.String(length=64), nullable=False),
        sa.Column("lost_value", sa.Text(), nullable=True),
        sa.Column("lost_device", sa.String(length=36), nullable=False),
        sa.Column("lost_hlc", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_conflict")),
    )
    op.create_index(op.f("ix_sync_conflict_row_id"), "sync_conflict", ["row_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_sync_conflict_row_id"), table_name="sync_conflict")
    op.drop_table("sync_conflict")
