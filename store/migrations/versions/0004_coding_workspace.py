"""Coding workspace: where a coding came from, indicator terms per code, a project's own lemma pairs.

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


def upgrade() -> None:
    with op.batch_alter_table("coding") as batch:
        batch.add_column(sa.Column("origin", sa.String(length=20), server_default="manual", nullable=False))
        batch.add_column(sa.Column("matched_term", sa.String(length=200), nullable=True))
    op.create_table(
        "code_indicator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guid", sa.Uuid(), nullable=False),
        sa.Column("code_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("term", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["code_id"], ["code.id"], name=op.f("fk_code_indicator_code_id_code"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_code_indicator")),
        sa.UniqueConstraint("code_id", "language", "term", name=op.f("uq_code_indicator_code_id_language_term")),
        sa.UniqueConstraint("guid", name=op.f("uq_code_indicator_guid")),
    )
    with op.batch_alter_table("code_indicator") as batch:
        batch.create_index(batch.f("ix_code_indicator_code_id"), ["code_id"], unique=False)
    op.create_table(
        "lemma_pair",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guid", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("form", sa.String(length=200), nullable=False),
        sa.Column("lemma", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], name=op.f("fk_lemma_pair_project_id_project"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lemma_pair")),
        sa.UniqueConstraint("project_id", "language", "form", name=op.f("uq_lemma_pair_project_id_language_form")),
        sa.UniqueConstraint("guid", name=op.f("uq_lemma_pair_guid")),
    )
    with op.batch_alter_table("lemma_pair") as batch:
        batch.create_index(batch.f("ix_lemma_pair_project_id"), ["project_id"], unique=False)


def downgrade() -> None:
    op.drop_table("lemma_pair")
    op.drop_table("code_indicator")
    with op.batch_alter_table("coding") as batch:
        batch.drop_column("matched_term")
        batch.drop_column("origin")
