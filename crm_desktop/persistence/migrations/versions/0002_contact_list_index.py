"""covering index for the contacts list

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

The list's default order (name, then id, live rows only) read from the index alone: the
window opens on 100,000 contacts without visiting every row.
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_contacts_list", "contacts", ["sort_name", "id", "deleted_at"])


def downgrade() -> None:
    op.drop_index("ix_contacts_list", table_name="contacts")
