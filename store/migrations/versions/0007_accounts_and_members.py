"""Accounts (who signs in) and project members (their role and coder in each project).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('guid', sa.Uuid(), nullable=False),
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account')),
    sa.UniqueConstraint('guid', name=op.f('uq_account_guid')),
    sa.UniqueConstraint('issuer', 'subject', name=op.f('uq_account_issuer_subject'))
    )
    op.create_table('member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('guid', sa.Uuid(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('coder_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('show_names', sa.Boolean(), nullable=False),
    sa.CheckConstraint("role IN ('owner', 'coder', 'facilitator', 'viewer')", name=op.f('ck_member_role')),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_member_account_id_account'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['coder_id'], ['coder.id'], name=op.f('fk_member_coder_id_coder'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_member_project_id_project'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member')),
    sa.UniqueConstraint('coder_id', name=op.f('uq_member_coder_id')),
    sa.UniqueConstraint('guid', name=op.f('uq_member_guid')),
    sa.UniqueConstraint('project_id', 'account_id', name=op.f('uq_member_project_id_account_id')),
    sa.UniqueConstraint('project_id', 'email', name=op.f('uq_member_project_id_email'))
    )
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_member_project_id'), ['project_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_project_id'))
        batch_op.drop_index(batch_op.f('ix_member_account_id'))
    op.drop_table('member')
    op.drop_table('account')
