"""A PDF document's page starts: where each page begins in its text version, so quotes can cite their page.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('text_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pages', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('text_version', schema=None) as batch_op:
        batch_op.drop_column('pages')
