"""An index on a turn's text version and start: the matrices find each quote's turn (the turn whose span holds
the segment's start) by a range on it instead of scanning every turn of the text.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('turn', schema=None) as batch_op:
        batch_op.create_index('ix_turn_text_version_id_start', ['text_version_id', 'start'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('turn', schema=None) as batch_op:
        batch_op.drop_index('ix_turn_text_version_id_start')
