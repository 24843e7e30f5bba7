"""Hold proposals: a stored proposal to hold scheduled posts that waits for a
person (accepted or dismissed), made by the detector at CRISIS or by a
person's declaration, and the posts it names.

Revision ID: 0019
Revises: 0016
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0016"
branch_labels = None
depends_on = None

_Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "hold_proposals",
        sa.Column("id", _Id, primary_key=True, autoincrement=True),
        sa.Column("status", sa.String(16), nullable=False, server_default="open"),
        sa.Column("open_key", sa.Integer, unique=True),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("proposed_by", sa.String(200), nullable=False),
        sa.Column("trigger", sa.Text, nullable=False, server_default=""),
        sa.Column("evaluated_minute", sa.BigInteger),
        sa.Column("crisis_since", sa.Float),
        sa.Column("proposed_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("decided_by", sa.String(200)),
        sa.Column("decided_at", sa.Float),
        sa.Column("decision_note", sa.Text),
    )
    op.create_table(
        "hold_proposal_posts",
        sa.Column(
            "proposal_id", sa.BigInteger, sa.ForeignKey("hold_proposals.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("post_id", sa.BigInteger, sa.ForeignKey("scheduled_posts.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("added_at", sa.Float, nullable=False),
        sa.Column("added_by", sa.String(200), nullable=False),
        sa.Column("reasons", sa.Text, nullable=False, server_default=""),
        sa.Column("outcome", sa.String(200)),
    )
    op.create_index("ix_hold_proposal_posts_post", "hold_proposal_posts", ["post_id"])


def downgrade() -> None:
    op.drop_index("ix_hold_proposal_posts_post", table_name="hold_proposal_posts")
    op.drop_table("hold_proposal_posts")
    op.drop_table("hold_proposals")
