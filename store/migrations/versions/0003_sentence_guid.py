"""Sentences get a guid like every other stored unit (agreement and exchange refer to them).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sentence") as batch:
        batch.add_column(sa.Column("guid", sa.Uuid(), nullable=True))
    connection = op.get_bind()
    sentence = sa.table("sentence", sa.column("id", sa.Integer()), sa.column("guid", sa.Uuid()))
    ids = [row.id for row in connection.execute(sa.select(sentence.c.id).where(sentence.c.guid.is_(None)))]
    if ids:
        connection.execute(
            sa.update(sentence).where(sentence.c.id == sa.bindparam("sentence_id")).values(guid=sa.bindparam("new_guid")),
            [{"sentence_id": i, "new_guid": uuid.uuid4()} for i in ids],
        )
    with op.batch_alter_table("sentence") as batch:
        batch.alter_column("guid", existing_type=sa.Uuid(), nullable=False)
        batch.create_unique_constraint(batch.f("uq_sentence_guid"), ["guid"])


def downgrade() -> None:
    with op.batch_alter_table("sentence") as batch:
        batch.drop_constraint(batch.f("uq_sentence_guid"), type_="unique")
        batch.drop_column("guid")
