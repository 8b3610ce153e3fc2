"""Integer attribute values are 64-bit (budgets and populations exceed 2**31).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("attribute_value") as batch:
        batch.alter_column("value_int", existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("attribute_value") as batch:
        batch.alter_column("value_int", existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=True)
