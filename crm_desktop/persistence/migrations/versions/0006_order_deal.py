"""an order may belong to a deal

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06

An order placed for a won deal (its invoice, its delivery) is the same sale as the deal:
the reports count the deal's value once and leave such an order out of sales.
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deal_id", sa.String(length=36), nullable=True))
        batch_op.create_index(batch_op.f("ix_orders_deal_id"), ["deal_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_orders_deal_id_deals"), "deals", ["deal_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_orders_deal_id_deals"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_orders_deal_id"))
        batch_op.drop_column("deal_id")
