"""Alert deliveries per routed channel, and on-duty pages with acknowledgement and escalation.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("id", _Id, primary_key=True, autoincrement=True),
        sa.Column("alert_id", sa.BigInteger, sa.ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("audience", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("recipient", sa.String(200), nullable=False, server_default=""),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_at", sa.Float),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("sent_at", sa.Float),
        sa.UniqueConstraint("alert_id", "audience", "channel", "recipient", name="uq_deliveries_target"),
    )
    op.create_index("ix_deliveries_status", "deliveries", ["status", "next_at"])
    op.create_table(
        "duty_pages",
        sa.Column("id", _Id, primary_key=True, autoincrement=True),
        sa.Column("alert_id", sa.BigInteger, sa.ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("member_id", sa.BigInteger),
        sa.Column("member_name", sa.String(200), nullable=False),
        sa.Column("paged_at", sa.Float, nullable=False),
        sa.Column("due_at", sa.Float, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="waiting"),
        sa.Column("acked_at", sa.Float),
        sa.Column("acked_by", sa.String(200)),
        sa.UniqueConstraint("alert_id", "step", name="uq_duty_pages_step"),
    )


def downgrade() -> None:
    op.drop_table("duty_pages")
    op.drop_index("ix_deliveries_status", table_name="deliveries")
    op.drop_table("deliveries")
