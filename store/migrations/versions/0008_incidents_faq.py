"""Incident record and crisis FAQ: facts, answers, history, publications.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", _Id, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("summary", sa.Text, nullable=False, server_default=""),
        sa.Column("keywords", sa.Text, nullable=False, server_default="[]"),  # JSON list
        sa.Column("cause_status", sa.String(16), nullable=False, server_default="unknown"),  # known/suspected/unknown
        sa.Column("cause", sa.Text, nullable=False, server_default=""),
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),  # active/resolved
        sa.Column("declared_at", sa.Float, nullable=False),
        sa.Column("declared_by", sa.String(200), nullable=False),
        sa.Column("resolved_at", sa.Float),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "faq_facts",
        sa.Column("id", _Id, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.BigInteger, sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", sa.Float, nullable=False),  # when it happened
        sa.Column("statement", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False, server_default=""),
        sa.Column("verified", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "faq_entries",
        sa.Column("id", _Id, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.BigInteger, sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False, server_default=""),
        sa.Column("owner", sa.String(200), nullable=False, server_default=""),
        sa.Column("status", sa.String(16), nullable=False, server_default="draft"),  # draft/approved
        sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "faq_history",
        sa.Column("id", _Id, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.BigInteger, sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("who", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),  # incident / fact / entry
        sa.Column("item_id", sa.BigInteger, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),  # create / update / approve / delete / resolve
        sa.Column("changes", sa.Text, nullable=False),  # JSON {field: [old, new]}
    )
    op.create_table(
        "faq_publications",
        sa.Column("id", _Id, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.BigInteger, sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("who", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("snapshot", sa.Text, nullable=False),  # JSON {entry id: [question, answer]}
    )


def downgrade() -> None:
    op.drop_table("faq_publications")
    op.drop_table("faq_history")
    op.drop_table("faq_entries")
    op.drop_table("faq_facts")
    op.drop_table("incidents")
