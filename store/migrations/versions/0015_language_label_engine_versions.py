"""Room for the label "unscored: language"; engine versions made by retraining.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_WIDENED = (("messages", "label"), ("rollups_minute", "label"), ("label_corrections", "model_label"))


def upgrade() -> None:
    # SQLite does not enforce VARCHAR lengths: only PostgreSQL needs the change.
    if op.get_bind().dialect.name == "postgresql":
        for table, column in _WIDENED:
            op.alter_column(table, column, type_=sa.String(32), existing_type=sa.String(16))
    op.create_table(
        "engine_versions",
        sa.Column("id", _Id, primary_key=True, autoincrement=True),
        sa.Column("engine", sa.String(64), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("replaces", sa.String(64), nullable=False, server_default=""),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("metrics", sa.Text, nullable=False, server_default="{}"),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("engine_versions")
    if op.get_bind().dialect.name == "postgresql":
        for table, column in _WIDENED:
            op.alter_column(table, column, type_=sa.String(16), existing_type=sa.String(32))
