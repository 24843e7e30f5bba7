"""A source's latest notice (say, X's search restarted from a start time after a
stale since_id), kept with when it was said, for the Sources page.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("source_state") as batch:
        batch.add_column(sa.Column("note", sa.Text))
        batch.add_column(sa.Column("note_at", sa.Float))


def downgrade() -> None:
    with op.batch_alter_table("source_state") as batch:
        batch.drop_column("note_at")
        batch.drop_column("note")
