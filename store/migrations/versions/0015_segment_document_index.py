"""An index on a segment's document alone: who coded a document first (the segment with its lowest id) is then one
index step instead of a walk over every segment of the document in (document, start) order. The Coding page's Apply
asks it for every coding it writes to the matrices' read path (issue 18), and a rebuild for every document.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('segment', schema=None) as batch_op:
        batch_op.create_index('ix_segment_document_id', ['document_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('segment', schema=None) as batch_op:
        batch_op.drop_index('ix_segment_document_id')
