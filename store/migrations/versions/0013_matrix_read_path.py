"""The matrices' read path (issue 18): matrix_coding, one derived row per coding and case with what the matrices
group, filter and quote by, and matrix_dirty, which database triggers fill on every write that can change those
rows (segments, codings, case links, a document's primary coder, turns, texts, a code's codebook), so that no write
path can leave them stale. store.matrix_facts rebuilds what is marked before every commit; this migration marks
every existing document, and store.migrate builds their rows after the upgrade.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

# (table, events, the matrix_dirty rows (d: document, s: segment) a changed row marks: NEW/OLD are the row)
_MARKS = {
    "segment": [("INSERT", "SELECT NEW.document_id AS d, NEW.id AS s"),
                ('UPDATE OF document_id, text_version_id, coder_id, start, "end"',
                 "SELECT NEW.document_id AS d, NEW.id AS s UNION SELECT OLD.document_id, -1"),
                ("DELETE", "SELECT OLD.document_id AS d, -1 AS s")],
    "coding": [("INSERT", "SELECT document_id AS d, id AS s FROM segment WHERE id = NEW.segment_id"),
               ("UPDATE OF segment_id, code_id",
                "SELECT document_id AS d, id AS s FROM segment WHERE id IN (NEW.segment_id, OLD.segment_id)")],
    "case_document": [("INSERT", "SELECT NEW.document_id AS d, 0 AS s"),
                      ("DELETE", "SELECT OLD.document_id AS d, 0 AS s"),
                      ("UPDATE", "SELECT NEW.document_id AS d, 0 AS s UNION SELECT OLD.document_id, 0")],
    "document": [("UPDATE OF primary_coder_id", "SELECT NEW.id AS d, -1 AS s")],
    # Not a turn's INSERT: new turns come with a new text (an import, before any coding; an edit, which moves every
    # segment onto the new text and so marks them); a mark per turn cost an import a tenth of its time.
    "turn": [('UPDATE OF text_version_id, ordinal, speaker_id, start, "end"',
              "SELECT document_id AS d, 0 AS s FROM text_version WHERE id IN (NEW.text_version_id, "
              "OLD.text_version_id)"),
             ("DELETE", "SELECT document_id AS d, 0 AS s FROM text_version WHERE id = OLD.text_version_id")],
    "text_version": [("UPDATE OF text, pages", "SELECT NEW.document_id AS d, 0 AS s")],
    "code": [("UPDATE OF codebook_id", ("SELECT DISTINCT seg.document_id AS d, 0 AS s FROM coding c JOIN segment seg "
                                        "ON seg.id = c.segment_id WHERE c.code_id = NEW.id"))],
}
# A mark already there is left alone. Not "INSERT OR IGNORE": SQLite lets the statement that fired the trigger
# override a trigger's conflict rule, and a document's delete then failed on its own second mark.
_INSERT = ("INSERT INTO matrix_dirty (document_id, segment_id) SELECT d, s FROM ({rows}) AS marks WHERE NOT EXISTS "
           "(SELECT 1 FROM matrix_dirty m WHERE m.document_id = marks.d AND m.segment_id = marks.s)")


def _trigger_name(table: str, events: str) -> str:
    return f"matrix_mark_{table}_{events.split()[0].lower()}"


def _create_triggers(dialect: str) -> None:
    for table, marks in _MARKS.items():
        for events, rows in marks:
            name = _trigger_name(table, events)
            if dialect == "sqlite":
                op.execute(f'CREATE TRIGGER {name} AFTER {events} ON "{table}" FOR EACH ROW BEGIN '
                           f"{_INSERT.format(rows=rows)}; END")
            else:
                op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                           f"{_INSERT.format(rows=rows)} ON CONFLICT DO NOTHING; "
                           "RETURN NULL; END $$")
                op.execute(f'CREATE TRIGGER {name} AFTER {events} ON "{table}" FOR EACH ROW '
                           f"EXECUTE FUNCTION {name}()")


def upgrade() -> None:
    op.create_table('matrix_coding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('codebook_id', sa.Integer(), nullable=False),
    sa.Column('code_id', sa.Integer(), nullable=False),
    sa.Column('coding_id', sa.Integer(), nullable=False),
    sa.Column('segment_id', sa.Integer(), nullable=False),
    sa.Column('segment_guid', sa.String(length=36), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('coder_id', sa.Integer(), nullable=False),
    sa.Column('is_primary', sa.Boolean(), nullable=False),
    sa.Column('text_version_id', sa.Integer(), nullable=False),
    sa.Column('start', sa.Integer(), nullable=False),
    sa.Column('end', sa.Integer(), nullable=False),
    sa.Column('turn', sa.Integer(), nullable=True),
    sa.Column('speaker_id', sa.Integer(), nullable=True),
    sa.Column('page', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['coding_id'], ['coding.id'], name=op.f('fk_matrix_coding_coding_id_coding'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_matrix_coding_document_id_document'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_matrix_coding'))
    )
    with op.batch_alter_table('matrix_coding', schema=None) as batch_op:
        batch_op.create_index('ix_matrix_coding_count', ['codebook_id', 'is_primary', 'case_id', 'code_id', 'document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_matrix_coding_coding_id'), ['coding_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_matrix_coding_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_matrix_coding_segment_id'), ['segment_id'], unique=False)
    op.create_table('matrix_dirty',
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('segment_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('document_id', 'segment_id', name=op.f('pk_matrix_dirty'))
    )
    with op.batch_alter_table('text_version', schema=None) as batch_op:
        batch_op.create_index('ix_text_version_document_id_version_length', ['document_id', 'version', 'length'],
                              unique=False)
    _create_triggers(op.get_bind().dialect.name)
    op.execute("INSERT INTO matrix_dirty (document_id, segment_id) SELECT id, 0 FROM document")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table, marks in _MARKS.items():
        for events, _ in marks:
            name = _trigger_name(table, events)
            if dialect == "sqlite":
                op.execute(f"DROP TRIGGER IF EXISTS {name}")
            else:
                op.execute(f'DROP TRIGGER IF EXISTS {name} ON "{table}"')
                op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.drop_table('matrix_dirty')
    with op.batch_alter_table('text_version', schema=None) as batch_op:
        batch_op.drop_index('ix_text_version_document_id_version_length')
    with op.batch_alter_table('matrix_coding', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_matrix_coding_segment_id'))
        batch_op.drop_index(batch_op.f('ix_matrix_coding_document_id'))
        batch_op.drop_index(batch_op.f('ix_matrix_coding_coding_id'))
        batch_op.drop_index('ix_matrix_coding_count')
    op.drop_table('matrix_coding')
