"""what real calendar and address-book files hold

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06

Activities: the extra dates of a series (RDATE) and, for an occurrence moved out of its
series, the start it had in the series (RECURRENCE-ID), so it exports as an exception.
Contacts: the parts of a name as written (prefix, middle names, suffix, nickname, the
formatted name), a job title given without a company, department, role, anniversary
and websites (one per line).
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_CONTACT_TEXT = (
    ("prefix", 50), ("middle_name", 200), ("suffix", 50), ("nickname", 200),
    ("formatted_name", 400), ("job_title", 200), ("department", 200), ("role", 200),
)


def upgrade() -> None:
    # Plain ADD COLUMN (no table rebuild): the tables keep their triggers and indexes,
    # and a big database migrates in an instant.
    op.add_column("activities", sa.Column("rdates", sa.Text(), nullable=False, server_default=""))
    op.add_column("activities", sa.Column("recurrence_id", sa.DateTime(), nullable=True))
    for name, length in _CONTACT_TEXT:
        op.add_column(
            "contacts",
            sa.Column(name, sa.String(length=length), nullable=False, server_default=""),
        )
    op.add_column("contacts", sa.Column("anniversary", sa.Date(), nullable=True))
    op.add_column("contacts", sa.Column("websites", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        for name in ("websites", "anniversary", *(n for n, _ in reversed(_CONTACT_TEXT))):
            batch.drop_column(name)
    with op.batch_alter_table("activities") as batch:
        batch.drop_column("recurrence_id")
        batch.drop_column("rdates")
