"""Text edits: a segment whose whole text an edit deleted is kept on its text version and flagged for review; a
replaced text version keeps the title and speaker labels it had, for undo.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('segment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('needs_review', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('text_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('naming', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('text_version', schema=None) as batch_op:
        batch_op.drop_column('naming')
    with op.batch_alter_table('segment', schema=None) as batch_op:
        batch_op.drop_column('needs_review')
