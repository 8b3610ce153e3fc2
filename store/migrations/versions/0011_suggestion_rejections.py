"""Rejected suggestions: a person's "no" to a suggested code on a sentence, kept as a negative example for the
learned suggestions and so that it is not offered again.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('suggestion_rejection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('guid', sa.Uuid(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('code_id', sa.Integer(), nullable=False),
    sa.Column('coder_id', sa.Integer(), nullable=False),
    sa.Column('sentence_hash', sa.String(length=64), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('rejected_by', sa.String(length=200), nullable=False),
    sa.Column('rejected_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("method IN ('learned', 'terms')", name=op.f('ck_suggestion_rejection_method')),
    sa.ForeignKeyConstraint(['code_id'], ['code.id'], name=op.f('fk_suggestion_rejection_code_id_code'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['coder_id'], ['coder.id'], name=op.f('fk_suggestion_rejection_coder_id_coder'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_suggestion_rejection_document_id_document'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_suggestion_rejection_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suggestion_rejection')),
    sa.UniqueConstraint('document_id', 'code_id', 'coder_id', 'sentence_hash', name=op.f('uq_suggestion_rejection')),
    sa.UniqueConstraint('guid', name=op.f('uq_suggestion_rejection_guid'))
    )
    with op.batch_alter_table('suggestion_rejection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_suggestion_rejection_code_id'), ['code_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_suggestion_rejection_coder_id'), ['coder_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_suggestion_rejection_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_suggestion_rejection_project_id'), ['project_id'], unique=False)


def downgrade() -> None:
    op.drop_table('suggestion_rejection')
