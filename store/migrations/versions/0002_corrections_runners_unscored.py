"""Label corrections, runners and their engines, an index of unscored messages.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "label_corrections",
        sa.Column("id", _Id, primary_key=True, autoincrement=True),
        sa.Column("message_id", sa.BigInteger, sa.ForeignKey("messages.id", ondelete="CASCADE"), nullable=False),
        sa.Column("model_label", sa.String(16)),
        sa.Column("old_label", sa.String(16)),
        sa.Column("new_label", sa.String(16)),
        sa.Column("who", sa.String(200), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
    )
    op.create_index("ix_label_corrections_message", "label_corrections", ["message_id"])
    op.create_table(
        "runners",
        sa.Column("owner", sa.String(128), primary_key=True),
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("heartbeat_at", sa.Float, nullable=False),
        sa.Column("engine", sa.String(128), nullable=False),
        sa.Column("engine_version", sa.String(128), nullable=False),
        sa.Column("engine_note", sa.Text, nullable=False),
    )
    op.create_index(
        "ix_messages_unscored",
        "messages",
        ["id"],
        sqlite_where=sa.text("label IS NULL"),
        postgresql_where=sa.text("label IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_messages_unscored", table_name="messages")
    op.drop_table("runners")
    op.drop_index("ix_label_corrections_message", table_name="label_corrections")
    op.drop_table("label_corrections")
