"""Key accounts, their matched mentions, and the scan position.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "key_accounts",
        sa.Column("id", _Id, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("handles", sa.Text, nullable=False, server_default="[]"),
        sa.Column("domains", sa.Text, nullable=False, server_default="[]"),
        sa.Column("aliases", sa.Text, nullable=False, server_default="[]"),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("owner_slack", sa.String(200), nullable=False, server_default=""),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "key_account_hits",
        sa.Column("message_id", sa.BigInteger, sa.ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("account_id", sa.BigInteger, sa.ForeignKey("key_accounts.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("matched", sa.String(16), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("escalated_at", sa.Float),
        sa.Column("escalate_error", sa.Text),
    )
    op.create_table(
        "key_account_scan",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("last_message_id", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("key_account_scan")
    op.drop_table("key_account_hits")
    op.drop_table("key_accounts")
