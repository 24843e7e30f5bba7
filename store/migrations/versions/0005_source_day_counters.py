"""Per-day message and read counters for each source.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("source_state") as batch:
        batch.add_column(sa.Column("today", sa.String(10)))
        batch.add_column(sa.Column("today_messages", sa.BigInteger, nullable=False, server_default="0"))
        batch.add_column(sa.Column("today_reads", sa.BigInteger, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("source_state") as batch:
        batch.drop_column("today_reads")
        batch.drop_column("today_messages")
        batch.drop_column("today")
