"""Double coding: documents assigned (blind) to a second coder, and adjudication decisions on disagreements.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('adjudication',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('guid', sa.Uuid(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('code_id', sa.Integer(), nullable=False),
    sa.Column('coder_a_id', sa.Integer(), nullable=False),
    sa.Column('coder_b_id', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('region_start', sa.Integer(), nullable=False),
    sa.Column('region_end', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=10), nullable=False),
    sa.Column('consensus_start', sa.Integer(), nullable=True),
    sa.Column('consensus_end', sa.Integer(), nullable=True),
    sa.Column('consensus_codings', sa.Text(), nullable=False),
    sa.Column('decided_by', sa.String(length=200), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("decision IN ('a', 'b', 'both', 'consensus')", name=op.f('ck_adjudication_decision')),
    sa.ForeignKeyConstraint(['code_id'], ['code.id'], name=op.f('fk_adjudication_code_id_code'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['coder_a_id'], ['coder.id'], name=op.f('fk_adjudication_coder_a_id_coder'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['coder_b_id'], ['coder.id'], name=op.f('fk_adjudication_coder_b_id_coder'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_adjudication_document_id_document'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_adjudication_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adjudication')),
    sa.UniqueConstraint('document_id', 'code_id', 'coder_a_id', 'coder_b_id', 'unit', 'region_start', 'region_end', name=op.f('uq_adjudication_region')),
    sa.UniqueConstraint('guid', name=op.f('uq_adjudication_guid'))
    )
    with op.batch_alter_table('adjudication', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adjudication_code_id'), ['code_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_adjudication_coder_a_id'), ['coder_a_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_adjudication_coder_b_id'), ['coder_b_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_adjudication_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_adjudication_project_id'), ['project_id'], unique=False)

    op.create_table('assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('guid', sa.Uuid(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('coder_id', sa.Integer(), nullable=False),
    sa.Column('blind', sa.Boolean(), nullable=False),
    sa.Column('assigned_by', sa.String(length=200), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revealed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revealed_by', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['coder_id'], ['coder.id'], name=op.f('fk_assignment_coder_id_coder'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_assignment_document_id_document'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_assignment_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignment')),
    sa.UniqueConstraint('document_id', 'coder_id', name=op.f('uq_assignment_document_id_coder_id')),
    sa.UniqueConstraint('guid', name=op.f('uq_assignment_guid'))
    )
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignment_coder_id'), ['coder_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignment_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignment_project_id'), ['project_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignment_project_id'))
        batch_op.drop_index(batch_op.f('ix_assignment_document_id'))
        batch_op.drop_index(batch_op.f('ix_assignment_coder_id'))

    op.drop_table('assignment')
    with op.batch_alter_table('adjudication', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adjudication_project_id'))
        batch_op.drop_index(batch_op.f('ix_adjudication_document_id'))
        batch_op.drop_index(batch_op.f('ix_adjudication_coder_b_id'))
        batch_op.drop_index(batch_op.f('ix_adjudication_coder_a_id'))
        batch_op.drop_index(batch_op.f('ix_adjudication_code_id'))

    op.drop_table('adjudication')
