"""Value-creation stories (issue 19): a story of one case (and optionally one person) as ordered steps, each a coded
segment with its cycle and a link note; codings gain `aspirational` and `beneficiary`; the bin holds stories; a
focus-group remark can be on one step of a story.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

_BIN_KINDS = "('document', 'case', 'person', 'attribute', 'session'{})"


def upgrade() -> None:
    op.create_table('story',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('guid', sa.Uuid(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_story_case_id_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_story_person_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_story_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_story')),
    sa.UniqueConstraint('guid', name=op.f('uq_story_guid')),
    sa.UniqueConstraint('project_id', 'title', name=op.f('uq_story_project_id_title'))
    )
    with op.batch_alter_table('story', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_story_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_story_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_story_project_id'), ['project_id'], unique=False)
    op.create_table('story_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('guid', sa.Uuid(), nullable=False),
    sa.Column('story_id', sa.Integer(), nullable=False),
    sa.Column('segment_id', sa.Integer(), nullable=False),
    sa.Column('cycle_code_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['cycle_code_id'], ['code.id'], name=op.f('fk_story_step_cycle_code_id_code'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['segment_id'], ['segment.id'], name=op.f('fk_story_step_segment_id_segment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['story_id'], ['story.id'], name=op.f('fk_story_step_story_id_story'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_story_step')),
    sa.UniqueConstraint('guid', name=op.f('uq_story_step_guid')),
    sa.UniqueConstraint('story_id', 'segment_id', name=op.f('uq_story_step_story_id_segment_id'))
    )
    with op.batch_alter_table('story_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_story_step_cycle_code_id'), ['cycle_code_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_story_step_segment_id'), ['segment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_story_step_story_id'), ['story_id'], unique=False)
    # Plain ADD COLUMN, never a batch copy of `coding`: SQLite would drop the read path's triggers with the old table.
    op.add_column('coding', sa.Column('aspirational', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('coding', sa.Column('beneficiary', sa.String(length=20), nullable=True))
    with op.batch_alter_table('bin_item', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_bin_item_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_bin_item_kind'), 'kind IN ' + _BIN_KINDS.format(", 'story'"))
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.add_column(sa.Column('story_step_guid', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_feedback_story_step_guid'), ['story_step_guid'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_story_step_guid'))
        batch_op.drop_column('story_step_guid')
    op.execute("DELETE FROM bin_item WHERE kind = 'story'")
    with op.batch_alter_table('bin_item', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_bin_item_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_bin_item_kind'), 'kind IN ' + _BIN_KINDS.format(""))
    op.drop_column('coding', 'beneficiary')
    op.drop_column('coding', 'aspirational')
    op.drop_table('story_step')
    op.drop_table('story')
