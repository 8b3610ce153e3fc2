"""The project's bin: deleted documents, cases, persons, attributes and focus-group sessions, kept whole until
they are restored or the bin is emptied.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bin_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('guid', sa.Uuid(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('entity_guid', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('deleted_by', sa.String(length=200), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.CheckConstraint("kind IN ('document', 'case', 'person', 'attribute', 'session')", name=op.f('ck_bin_item_kind')),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_bin_item_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bin_item')),
    sa.UniqueConstraint('guid', name=op.f('uq_bin_item_guid'))
    )
    with op.batch_alter_table('bin_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bin_item_project_id'), ['project_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('bin_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bin_item_project_id'))
    op.drop_table('bin_item')
