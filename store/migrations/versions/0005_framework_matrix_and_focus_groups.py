"""Framework matrix cells with pinned quotes and a rating scale, focus-group sessions with feedback,
names masked in anonymised quotes, and a document's primary coder.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('focus_group_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('guid', sa.Uuid(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('attendees', sa.JSON(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("purpose IN ('codebook', 'validation')", name=op.f('ck_focus_group_session_purpose')),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_focus_group_session_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_focus_group_session')),
    sa.UniqueConstraint('guid', name=op.f('uq_focus_group_session_guid')),
    sa.UniqueConstraint('project_id', 'name', name=op.f('uq_focus_group_session_project_id_name'))
    )
    with op.batch_alter_table('focus_group_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_focus_group_session_project_id'), ['project_id'], unique=False)

    op.create_table('mask_term',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('guid', sa.Uuid(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('term', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('replacement', sa.String(length=200), nullable=False),
    sa.CheckConstraint("kind IN ('person', 'organisation', 'place', 'other')", name=op.f('ck_mask_term_kind')),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_mask_term_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mask_term')),
    sa.UniqueConstraint('guid', name=op.f('uq_mask_term_guid')),
    sa.UniqueConstraint('project_id', 'term', name=op.f('uq_mask_term_project_id_term'))
    )
    with op.batch_alter_table('mask_term', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mask_term_project_id'), ['project_id'], unique=False)

    op.create_table('rating_level',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('guid', sa.Uuid(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('rule', sa.Text(), nullable=False),
    sa.CheckConstraint('level BETWEEN 1 AND 4', name=op.f('ck_rating_level_level')),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_rating_level_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_level')),
    sa.UniqueConstraint('guid', name=op.f('uq_rating_level_guid')),
    sa.UniqueConstraint('project_id', 'level', name=op.f('uq_rating_level_project_id_level'))
    )
    with op.batch_alter_table('rating_level', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_level_project_id'), ['project_id'], unique=False)

    op.create_table('feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('guid', sa.Uuid(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('code_id', sa.Integer(), nullable=True),
    sa.Column('stance', sa.String(length=20), nullable=False),
    sa.Column('participant_role', sa.String(length=100), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('promoted_code_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("stance IN ('agree', 'disagree', 'amend', 'add', 'recognised', 'not_recognised', 'missing')", name=op.f('ck_feedback_stance')),
    sa.CheckConstraint('case_id IS NULL OR code_id IS NOT NULL', name=op.f('ck_feedback_cell_has_code')),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_feedback_case_id_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['code_id'], ['code.id'], name=op.f('fk_feedback_code_id_code'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['promoted_code_id'], ['code.id'], name=op.f('fk_feedback_promoted_code_id_code'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['session_id'], ['focus_group_session.id'], name=op.f('fk_feedback_session_id_focus_group_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback')),
    sa.UniqueConstraint('guid', name=op.f('uq_feedback_guid'))
    )
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_code_id'), ['code_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_session_id'), ['session_id'], unique=False)

    op.create_table('framework_cell',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('guid', sa.Uuid(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('code_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('validation', sa.String(length=20), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("rating IS NULL OR (state = 'assessed' AND rating BETWEEN 1 AND 4)", name=op.f('ck_framework_cell_rating')),
    sa.CheckConstraint("state IN ('assessed', 'not_assessed', 'no_data', 'absent', 'not_applicable')", name=op.f('ck_framework_cell_state')),
    sa.CheckConstraint("validation IN ('proposed', 'discussed', 'confirmed', 'amended', 'disputed')", name=op.f('ck_framework_cell_validation')),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_framework_cell_case_id_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['code_id'], ['code.id'], name=op.f('fk_framework_cell_code_id_code'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_framework_cell_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_framework_cell')),
    sa.UniqueConstraint('case_id', 'code_id', name=op.f('uq_framework_cell_case_id_code_id')),
    sa.UniqueConstraint('guid', name=op.f('uq_framework_cell_guid'))
    )
    with op.batch_alter_table('framework_cell', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_framework_cell_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_framework_cell_code_id'), ['code_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_framework_cell_project_id'), ['project_id'], unique=False)

    op.create_table('cell_quote',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('guid', sa.Uuid(), nullable=False),
    sa.Column('cell_id', sa.Integer(), nullable=False),
    sa.Column('segment_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cell_id'], ['framework_cell.id'], name=op.f('fk_cell_quote_cell_id_framework_cell'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['segment_id'], ['segment.id'], name=op.f('fk_cell_quote_segment_id_segment'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cell_quote')),
    sa.UniqueConstraint('cell_id', 'segment_id', name=op.f('uq_cell_quote_cell_id_segment_id')),
    sa.UniqueConstraint('guid', name=op.f('uq_cell_quote_guid'))
    )
    with op.batch_alter_table('cell_quote', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cell_quote_cell_id'), ['cell_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cell_quote_segment_id'), ['segment_id'], unique=False)

    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('primary_coder_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_document_primary_coder_id_coder'), 'coder', ['primary_coder_id'], ['id'], ondelete='SET NULL')




def downgrade() -> None:

    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_document_primary_coder_id_coder'), type_='foreignkey')
        batch_op.drop_column('primary_coder_id')

    with op.batch_alter_table('cell_quote', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cell_quote_segment_id'))
        batch_op.drop_index(batch_op.f('ix_cell_quote_cell_id'))

    op.drop_table('cell_quote')
    with op.batch_alter_table('framework_cell', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_framework_cell_project_id'))
        batch_op.drop_index(batch_op.f('ix_framework_cell_code_id'))
        batch_op.drop_index(batch_op.f('ix_framework_cell_case_id'))

    op.drop_table('framework_cell')
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_session_id'))
        batch_op.drop_index(batch_op.f('ix_feedback_code_id'))
        batch_op.drop_index(batch_op.f('ix_feedback_case_id'))

    op.drop_table('feedback')
    with op.batch_alter_table('rating_level', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rating_level_project_id'))

    op.drop_table('rating_level')
    with op.batch_alter_table('mask_term', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mask_term_project_id'))

    op.drop_table('mask_term')
    with op.batch_alter_table('focus_group_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_focus_group_session_project_id'))

    op.drop_table('focus_group_session')

