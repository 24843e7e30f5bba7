"""Versioned pause switch (pause_id) and at-most-once alert claims (notify_claimed_at).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("publishing_state") as batch:
        batch.add_column(sa.Column("pause_id", sa.Integer, nullable=False, server_default="0"))
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("notify_claimed_at", sa.Float))


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("notify_claimed_at")
    with op.batch_alter_table("publishing_state") as batch:
        batch.drop_column("pause_id")
