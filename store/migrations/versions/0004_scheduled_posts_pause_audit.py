"""Scheduled posts, the pause-all switch, and the audit log.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "scheduled_posts",
        sa.Column("id", _Id, primary_key=True, autoincrement=True),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("origin_key", sa.String(200), unique=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("target", sa.String(200), nullable=False, server_default=""),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("link", sa.Text, nullable=False, server_default=""),
        sa.Column("scheduled_at", sa.BigInteger, nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC"),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="scheduled"),
        sa.Column("status_reason", sa.Text, nullable=False, server_default=""),
        sa.Column("claimed_by", sa.String(128)),
        sa.Column("published_at", sa.Float),
        sa.Column("external_id", sa.String(200)),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("ix_scheduled_posts_due", "scheduled_posts", ["status", "scheduled_at"])
    op.create_table(
        "publishing_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("paused", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("paused_by", sa.String(200)),
        sa.Column("paused_reason", sa.Text),
        sa.Column("paused_at", sa.Float),
        sa.Column("resume_at", sa.Float),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", _Id, primary_key=True, autoincrement=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("who", sa.String(200), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(200), nullable=False, server_default=""),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("details", sa.Text, nullable=False, server_default="{}"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("publishing_state")
    op.drop_index("ix_scheduled_posts_due", table_name="scheduled_posts")
    op.drop_table("scheduled_posts")
