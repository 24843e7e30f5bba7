"""An index for reading one source's rollups over days.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_rollups_source_minute", "rollups_minute", ["source", "minute"])


def downgrade() -> None:
    op.drop_index("ix_rollups_source_minute", table_name="rollups_minute")
