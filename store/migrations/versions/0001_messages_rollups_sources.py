"""Messages, per-minute rollups and source state.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "messages",
        sa.Column("id", _Id, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("external_id", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(200), nullable=False, server_default=""),
        sa.Column("author", sa.String(200), nullable=False, server_default=""),
        sa.Column("reach", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("lang", sa.String(16), nullable=False, server_default=""),
        sa.Column("url", sa.Text, nullable=False, server_default=""),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("ingested_at", sa.BigInteger, nullable=False),
        sa.Column("label", sa.String(16)),
        sa.Column("score", sa.Float),
        sa.Column("engine", sa.String(64)),
        sa.Column("engine_version", sa.String(64)),
        sa.Column("label_override", sa.String(16)),
        sa.UniqueConstraint("source", "external_id", name="uq_messages_source_external_id"),
    )
    op.create_index("ix_messages_created_at", "messages", ["created_at"])
    op.create_table(
        "rollups_minute",
        sa.Column("minute", sa.BigInteger, primary_key=True),
        sa.Column("source", sa.String(32), primary_key=True),
        sa.Column("label", sa.String(16), primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("score_sum", sa.Float, nullable=False),
        sa.Column("reach_sum", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "source_state",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("cursor", sa.Text),
        sa.Column("status", sa.String(16), nullable=False, server_default="new"),
        sa.Column("last_poll_at", sa.Float),
        sa.Column("last_success_at", sa.Float),
        sa.Column("last_error_at", sa.Float),
        sa.Column("last_error", sa.Text),
        sa.Column("consecutive_failures", sa.Integer, nullable=False, server_default="0"),
        sa.Column("polls", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("messages_total", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("next_poll_at", sa.Float),
        sa.Column("lease_owner", sa.String(128)),
        sa.Column("lease_expires_at", sa.Float),
    )


def downgrade() -> None:
    op.drop_table("source_state")
    op.drop_table("rollups_minute")
    op.drop_index("ix_messages_created_at", table_name="messages")
    op.drop_table("messages")
