"""an index of the recurring activities

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-06

The reminders and the calendar ask for the recurring activities (a few) among all of them
(100,000 and more): without an index on them that was a scan of the whole table, which
also filled the page cache with it. A partial index holds only the recurring ones.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None

_RECURRING = sa.text("rrule != ''")


def upgrade() -> None:
    op.create_index(
        "ix_activities_recurring",
        "activities",
        ["starts_at"],
        sqlite_where=_RECURRING,
        postgresql_where=_RECURRING,
    )


def downgrade() -> None:
    op.drop_index("ix_activities_recurring", table_name="activities")
