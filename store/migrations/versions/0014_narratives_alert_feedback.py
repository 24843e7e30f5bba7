"""Narratives (clustered posts) and alert feedback (verdicts, missed crises).

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "narratives",
        sa.Column("id", _Id, primary_key=True, autoincrement=True),
        sa.Column("vector_kind", sa.String(32), nullable=False),
        sa.Column("vector_sum", sa.LargeBinary, nullable=False),
        sa.Column("rep_source", sa.String(32), nullable=False),
        sa.Column("rep_external_id", sa.String(200), nullable=False),
        sa.Column("rep_vector", sa.LargeBinary, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("negative", sa.Integer, nullable=False),
        sa.Column("reach", sa.BigInteger, nullable=False),
        sa.Column("first_seen", sa.BigInteger, nullable=False),
        sa.Column("last_seen", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_narratives_kind_last_seen", "narratives", ["vector_kind", "last_seen"])
    op.create_table(
        "narrative_members",
        sa.Column("source", sa.String(32), primary_key=True),
        sa.Column("external_id", sa.String(200), primary_key=True),
        sa.Column("narrative_id", sa.BigInteger, nullable=False),
        sa.Column("text_key", sa.String(32), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_narrative_members_text_key", "narrative_members", ["text_key"])
    op.create_index("ix_narrative_members_created_at", "narrative_members", ["created_at"])
    op.create_table(
        "narrative_buckets",
        sa.Column("narrative_id", sa.BigInteger, primary_key=True),
        sa.Column("bucket", sa.BigInteger, primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("negative", sa.Integer, nullable=False),
        sa.Column("reach", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_narrative_buckets_bucket", "narrative_buckets", ["bucket"])
    op.create_table(
        "narrative_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("doc_freq", sa.LargeBinary),
        sa.Column("docs", sa.Float, nullable=False, server_default="0"),
        sa.Column("mean_vector", sa.LargeBinary),
        sa.Column("mean_weight", sa.Float, nullable=False, server_default="0"),
        sa.Column("pruned_at", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.create_table(
        "alert_feedback",
        sa.Column("alert_id", sa.BigInteger, sa.ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("who", sa.String(200), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
    )
    op.create_table(
        "missed_crises",
        sa.Column("id", _Id, primary_key=True, autoincrement=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("who", sa.String(200), nullable=False),
        sa.Column("recorded_at", sa.Float, nullable=False),
    )
    op.create_index("ix_missed_crises_at", "missed_crises", ["at"])


def downgrade() -> None:
    op.drop_table("missed_crises")
    op.drop_table("alert_feedback")
    op.drop_table("narrative_state")
    op.drop_table("narrative_buckets")
    op.drop_table("narrative_members")
    op.drop_table("narratives")
