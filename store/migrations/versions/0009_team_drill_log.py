"""The crisis team roster and the drill log.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "team_members",
        sa.Column("id", _Id, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("contact", sa.String(200), nullable=False, server_default=""),
        sa.Column("on_duty", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("reports_to", sa.BigInteger),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "drill_log",
        sa.Column("id", _Id, primary_key=True, autoincrement=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("who", sa.String(200), nullable=False),
        sa.Column("scenario", sa.Text, nullable=False),
        sa.Column("start_offset_s", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("drill_log")
    op.drop_table("team_members")
