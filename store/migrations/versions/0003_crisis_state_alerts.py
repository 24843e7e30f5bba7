"""Crisis detector state and alerts.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "crisis_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("evaluated_minute", sa.BigInteger),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("summary", sa.Text, nullable=False, server_default=""),
        sa.Column("explanation", sa.Text, nullable=False, server_default="{}"),
        sa.Column("updated_at", sa.Float),
    )
    op.create_table(
        "alerts",
        sa.Column("id", _Id, primary_key=True, autoincrement=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("audience", sa.String(32), nullable=False),
        sa.Column("old_level", sa.Integer),
        sa.Column("new_level", sa.Integer, nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("suppressed", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("who", sa.String(200)),
        sa.Column("why", sa.Text),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("explanation", sa.Text, nullable=False),
        sa.Column("notified_at", sa.Float),
        sa.Column("notify_attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("notify_error", sa.Text),
        sa.Column("notify_next_at", sa.Float),
    )
    op.create_index("ix_alerts_pending", "alerts", ["notified_at", "suppressed"])


def downgrade() -> None:
    op.drop_index("ix_alerts_pending", table_name="alerts")
    op.drop_table("alerts")
    op.drop_table("crisis_state")
