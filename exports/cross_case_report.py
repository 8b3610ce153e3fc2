"""Cross-case report (Word): the framework matrix, counts, exemplar quotes, charts, focus-group feedback.

Sections: title page; contents (a TOC field Word fills in); method (cases, documents, persons, coders,
codebooks with their versions, whose codings count); the framework matrix and the count matrix as real Word
tables; charts as PNG (all rendered in one browser session, or a note saying why not); per case and code the
cell's line, its exemplar quotes (pinned first, else up to two of the cell's quotes) with references and the
focus-group feedback on it; the value-creation stories (exports.story_chapter); feedback on codes; the codebook
as an appendix. Headings use Word's Heading 1-3
styles so the table of contents and navigation pane work.

Per-network export (`case=`): that case under its own name with its own quotes in full, the other cases as
"Case A", "Case B", ... with anonymised quotes (speakers as role + number, document titles as kind + number,
masked names, other case names replaced). `anonymise=True` anonymises every quote the same way.
Transcript text only ever goes in as plain runs with the characters XML 1.0 forbids dropped.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from exports.docx_appender import new_document
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from sqlalchemy.orm import Session

from analysis.framework_matrix import FrameworkMatrix, build_framework_matrix, value_cycle_profile
from analysis.matrix import Matrix, MatrixSpec, Quote, build_matrix
from cases.documents import list_documents
from cases.projects import get_case, list_coders, list_persons
from codebooks.service import code_label, code_tree, get_codebook, list_project_codebooks
from exports.story_chapter import add_stories_chapter
from exports.matrix_tables import add_word_table, framework_cell_text, framework_table, matrix_table
from focusgroups.anonymise import Anonymiser, CaseHider, build_anonymiser, case_letters
from focusgroups.feedback import FeedbackRecord, list_feedback
from store.errors import Refused
from store.models import Project
from store.spreadsheet import xml_safe

EXEMPLARS_PER_CELL = 2
TOC_INSTRUCTION = 'TOC \\o "1-3" \\h \\z \\u'


@dataclass
class _Voice:
    """How one row's text is shown: its name, and whether its quotes are anonymised."""

    label: str
    anonymised: bool


class _Writer:
    """Cleans every piece of text the same way: other cases' names replaced, names masked when anonymised."""

    def __init__(self, anonymiser: Anonymiser | None, hidden_cases: dict[str, str]) -> None:
        self.anonymiser = anonymiser
        self.hide_cases = CaseHider(hidden_cases)

    def text(self, value: str | None, anonymised: bool) -> str:
        value = self.hide_cases(value or "")
        if anonymised and self.anonymiser is not None:
            value = self.anonymiser.mask(value)
        return xml_safe(value)

    def reference(self, quote: Quote, anonymised: bool) -> str:
        """'interview 2 · Respondent 3 · turn 4 · characters 120–180' (or the title and role (pseudonym)); a
        paragraph without a speaker (a PDF's) names none: 'plan · p. 3 · ¶5 · characters 120–180'."""
        if anonymised and self.anonymiser is not None:
            document = self.anonymiser.document(quote.document_guid, quote.document)
            who = self.anonymiser.speaker(quote.speaker_key, quote.role)
        else:
            document = quote.document
            name = quote.pseudonym or quote.speaker
            who = f"{quote.role} ({name})" if name else quote.role
        parts = [document] if quote.speaker is None else [document, who]
        parts.append(quote.citation(document=False))
        parts.append(f"characters {quote.start}–{quote.end}")
        coder = self.anonymiser.coder(quote.coder) if anonymised and self.anonymiser is not None else quote.coder
        parts.append(f"coded by {coder}")
        return self.text(" · ".join(parts), anonymised)


def _add_toc(doc) -> None:  # type: ignore[no-untyped-def]
    """A TOC field over Heading 1-3; Word fills it in when the document opens (updateFields)."""
    paragraph = doc.add_paragraph()
    run = paragraph.add_run()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    instruction = OxmlElement("w:instrText")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = TOC_INSTRUCTION
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    run._r.append(begin)
    run._r.append(instruction)
    run._r.append(separate)
    placeholder = paragraph.add_run("Right-click and choose Update Field to show the table of contents.")
    placeholder.italic = True
    end_run = paragraph.add_run()
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    end_run._r.append(end)
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    doc.settings.element.append(update)


def _small(doc, text: str, *, italic: bool = True) -> None:  # type: ignore[no-untyped-def]
    run = doc.add_paragraph().add_run(text)
    run.italic = italic
    run.font.size = Pt(9)


def _relabelled(matrix: Matrix, labels: list[str]) -> Matrix:
    return replace(matrix, rows=[replace(r, label=label) for r, label in zip(matrix.rows, labels)])


def _feedback_line(record: FeedbackRecord, clean) -> str:  # type: ignore[no-untyped-def]
    who = f" · {record.participant_role}" if record.participant_role else ""
    note = f": {record.note}" if record.note else ""
    promoted = f" (promoted to code {record.promoted_to})" if record.promoted_to else ""
    return clean(f"{record.session} ({record.held_on.isoformat()}) · {record.stance.replace('_', ' ')}{who}"
                 f"{note}{promoted}")


def build_cross_case_report(session: Session, project: Project, *, codebook: str = "vc", depth: int | None = 1,
                            case: str | None = None, anonymise: bool = False, images: bool = True,
                            language: str = "en") -> bytes:
    """The cross-case report as .docx bytes; with `case`, that network's own report with an anonymised comparison."""
    book = get_codebook(session, project, codebook)
    framework = build_framework_matrix(session, project, codebook, depth=depth, language=language)
    counts = framework.matrix
    quotes = build_matrix(session, project, MatrixSpec(rows="cases", codebook=codebook, depth=depth,
                                                       measure="quotes", scope=counts.spec.scope),
                          language=language).quotes or []
    own_row = None
    if case is not None:
        own = get_case(session, project, case)
        own_row = next((i for i, r in enumerate(counts.rows) if r.sql_key == own.id), None)
        if own_row is None:
            raise Refused(f"case '{own.name}' has no row in the matrix")
    others = [i for i, r in enumerate(counts.rows) if i != own_row and r.sql_key is not None]
    letters = dict(zip(others, case_letters(len(others)))) if case is not None else {}
    voices = [_Voice(letters.get(i, r.label), anonymise or i in letters) for i, r in enumerate(counts.rows)]
    labels = [v.label for v in voices]
    hidden = {counts.rows[i].label: letters[i] for i in others} if case is not None else {}
    anonymiser = build_anonymiser(session, project) if (anonymise or case is not None) else None
    writer = _Writer(anonymiser, hidden)
    tree = code_tree(book)
    key_of = {row.code.id: row.code.key for row in tree}
    column_of_key = {key_of[m]: j for j, c in enumerate(counts.columns) for m in c.members if m in key_of}
    feedback = list_feedback(session, project)

    doc = new_document()
    title = (f"Cross-case report for {counts.rows[own_row].label}" if own_row is not None
             else f"Cross-case report: {project.name}")
    doc.core_properties.title = xml_safe(title)
    doc.core_properties.author = "Kruispunt"
    doc.add_heading(xml_safe(title), level=0)
    subtitle = [f"Project: {project.name}", f"Codebook: {book.name_en or book.key} ({book.key} v{book.version})",
                f"Written {datetime.now(timezone.utc).strftime('%Y-%m-%d')}"]
    for line in subtitle:
        doc.add_paragraph(writer.text(line, False))
    if own_row is not None:
        doc.add_paragraph(writer.text(
            f"This report shows {counts.rows[own_row].label} in full and compares it with "
            f"{len(others)} other case(s), named {', '.join(letters.values()) or '-'} and anonymised.", False))
    if anonymise:
        doc.add_paragraph("Anonymised: speakers as role + number, documents as kind + number, names on the "
                          "project's mask list and persons' names masked in quotes.")
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    doc.add_paragraph().add_run("Contents").bold = True
    _add_toc(doc)
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    _method(doc, session, project, counts, labels, writer, anonymise)
    _matrices(doc, framework, counts, voices, writer)
    _charts(doc, session, project, framework, counts, labels, codebook, images, language)
    own_rows = [own_row] if own_row is not None else [i for i in range(len(counts.rows))]
    if own_row is not None:
        doc.add_heading(writer.text(f"{counts.rows[own_row].label}: cells and exemplar quotes", False), level=1)
    else:
        doc.add_heading("Cells and exemplar quotes", level=1)
    for i in own_rows:
        _case_cells(doc, framework, quotes, i, voices[i], writer, feedback, column_of_key)
    if own_row is not None:
        doc.add_heading("Comparison with the other cases (anonymised)", level=1)
        for i in range(len(counts.rows)):
            if i != own_row:
                _case_cells(doc, framework, quotes, i, voices[i], writer, feedback, column_of_key)
    if own_row is not None:  # the network's own stories in full; the other cases only in the counts
        add_stories_chapter(doc, session, project, case=own, clean=lambda t: writer.text(t, False),
                            document=lambda step: step.document)
    else:
        add_stories_chapter(doc, session, project, clean=lambda t: writer.text(t, anonymise), authors=not anonymise,
                            document=(lambda step: anonymiser.document(step.document_guid, step.document))
                            if anonymise and anonymiser is not None else (lambda step: step.document))
    _code_feedback(doc, counts, feedback, column_of_key, writer, anonymise or own_row is not None)
    _appendix(doc, book, tree, language, writer)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _method(doc, session: Session, project: Project, counts: Matrix, labels: list[str],  # type: ignore[no-untyped-def]
            writer: _Writer, anonymise: bool) -> None:
    doc.add_heading("Method", level=1)
    documents = list_documents(session, project)
    kinds: dict[str, int] = {}
    for d in documents:
        kinds[d.kind] = kinds.get(d.kind, 0) + 1
    persons = list_persons(session, project)
    coders = sorted(c.name for c in list_coders(session, project))
    if anonymise and writer.anonymiser is not None:
        coders = sorted((writer.anonymiser.coder(name) for name in coders), key=lambda a: (len(a), a))
    books = list_project_codebooks(session, project)
    facts = [
        f"Cases: {len([r for r in counts.rows if r.sql_key is not None])} ({', '.join(labels)})",
        f"Documents: {len(documents)} ({', '.join(f'{n} {k}' for k, n in sorted(kinds.items())) or 'none'})",
        f"Persons: {len(persons)}; interviewees per case: "
        + ", ".join(f"{label} {len(r.interviewees)}" for label, r in zip(labels, counts.rows)),
        f"Coders: {', '.join(coders) or 'none'}",
        "Codebooks: " + (", ".join(f"{b.name_en or b.key} ({b.key} v{b.version})" for b in books) or "none"),
        f"Whose codings count: {counts.scope_note}",
    ]
    for fact in facts:
        doc.add_paragraph(writer.text(fact, anonymise), style="List Bullet")
    doc.add_paragraph(
        "Counts are derived from the codings when the report is written (coded segments; a code rolled up to its "
        "top code counts each segment once). \"k of n interviewees\": n respondents and participants in the "
        "case's documents, k of them speak at least one coded segment. A stored state (not assessed, no data, "
        "absent, n/a) is shown instead of a zero.")


def _matrices(doc, framework: FrameworkMatrix, counts: Matrix, voices: list[_Voice],  # type: ignore[no-untyped-def]
              writer: _Writer) -> None:
    labels = [v.label for v in voices]
    doc.add_heading("Framework matrix", level=1)
    doc.add_paragraph("Per case and code: the state and rating with the analyst's summary, the number of pinned "
                      "quotes and k of n interviewees; where nothing is stored, the counts.")
    table = framework_table(framework, row_labels=labels)
    table.cells = [[writer.text(str(v), voice.anonymised) for v in line] for line, voice in zip(table.cells, voices)]
    add_word_table(doc, table)
    doc.add_heading("Rating scale", level=2)
    for step in framework.scale:
        doc.add_paragraph(writer.text(f"{step.level} = {step.label}: {step.rule}", False), style="List Bullet")
    doc.add_heading("Count matrix", level=1)
    doc.add_paragraph("Coded segments per case and code.")
    add_word_table(doc, matrix_table(counts, "count", title="counts", row_labels=labels))
    _small(doc, writer.text(counts.scope_note, False))


def _charts(doc, session: Session, project: Project, framework: FrameworkMatrix,  # type: ignore[no-untyped-def]
            counts: Matrix, labels: list[str], codebook: str, images: bool, language: str) -> None:
    from exports.charts import code_frequency_figure, matrix_heatmap, render_png, value_cycle_figure

    doc.add_heading("Charts", level=1)
    if not images:
        _small(doc, "Charts were left out of this report on request.")
        return
    shown = _relabelled(counts, labels)
    figures = [(matrix_heatmap(shown, "count"), "Coded segments per case and code"),
               (code_frequency_figure(shown), "Code frequencies per case")]
    try:
        profile, bands = value_cycle_profile(session, project, codebook=codebook, language=language)
    except Refused:
        profile = None
    if profile is not None:
        order = {r.sql_key: label for r, label in zip(counts.rows, labels)}
        profile = replace(profile, matrix=_relabelled(profile.matrix,
                                                      [order.get(r.sql_key, r.label) for r in profile.matrix.rows]))
        figures.append((value_cycle_figure(profile, bands), "Value-creation profile per case"))
    rendered = render_png([f for f, _ in figures])
    if rendered.images is None:
        _small(doc, rendered.note)
        return
    for (_, caption), png in zip(figures, rendered.images):
        doc.add_heading(caption, level=2)
        doc.add_picture(io.BytesIO(png), width=Cm(16))


def _exemplars(framework: FrameworkMatrix, quotes: list[list[list[Quote]]], i: int, j: int) -> list[Quote]:
    pinned = framework.cells[i][j].quotes
    if pinned:
        return list(pinned)
    return list(quotes[i][j][:EXEMPLARS_PER_CELL]) if quotes else []


def _case_cells(doc, framework: FrameworkMatrix, quotes: list[list[list[Quote]]],  # type: ignore[no-untyped-def]
                i: int, voice: _Voice, writer: _Writer, feedback: list[FeedbackRecord],
                column_of_key: dict[str, int]) -> None:
    m = framework.matrix
    real_name = m.rows[i].label
    doc.add_heading(writer.text(voice.label, False), level=2)
    scale = {s.level: s for s in framework.scale}
    for j, column in enumerate(m.columns):
        cell = framework.cells[i][j]
        doc.add_heading(writer.text(f"{column.label} ({column.key})", False), level=3)
        doc.add_paragraph().add_run(writer.text(framework_cell_text(framework, i, j), voice.anonymised)).bold = True
        if cell.rating is not None and cell.rating in scale:
            _small(doc, writer.text(f"Rule for {scale[cell.rating].label} ({cell.rating}): {scale[cell.rating].rule}",
                                    False))
        exemplars = _exemplars(framework, quotes, i, j)
        if not exemplars:
            _small(doc, "No coded quotes.")
        for quote in exemplars:
            doc.add_paragraph(writer.text(quote.text, voice.anonymised), style="Quote")
            _small(doc, writer.reference(quote, voice.anonymised))
        remarks = [f for f in feedback if f.case == real_name and f.code in column_of_key
                   and column_of_key[f.code] == j]
        if remarks:
            doc.add_paragraph().add_run("Focus-group feedback").italic = True
            for record in remarks:
                doc.add_paragraph(_feedback_line(record, lambda t: writer.text(t, voice.anonymised)),
                                  style="List Bullet")


def _code_feedback(doc, counts: Matrix, feedback: list[FeedbackRecord],  # type: ignore[no-untyped-def]
                   column_of_key: dict[str, int], writer: _Writer, anonymised: bool) -> None:
    doc.add_heading("Focus-group feedback on codes", level=1)
    on_codes = [f for f in feedback if f.case is None and f.code in column_of_key]
    at_large = [f for f in feedback if f.case is None and f.code is None]
    if not on_codes and not at_large:
        _small(doc, "No feedback on the codes of this codebook.")
    for j, column in enumerate(counts.columns):
        mine = [f for f in on_codes if column_of_key[f.code] == j]
        if not mine:
            continue
        doc.add_heading(writer.text(f"{column.label} ({column.key})", False), level=2)
        for record in mine:
            prefix = "" if record.code == column.key else f"[{record.code}] "
            doc.add_paragraph(prefix + _feedback_line(record, lambda t: writer.text(t, anonymised)),
                              style="List Bullet")
    if at_large:
        doc.add_heading("Missing from the codebook", level=2)
        for record in at_large:
            doc.add_paragraph(_feedback_line(record, lambda t: writer.text(t, anonymised)), style="List Bullet")


def _appendix(doc, book, tree, language: str, writer: _Writer) -> None:  # type: ignore[no-untyped-def]
    doc.add_heading(writer.text(f"Appendix: codebook {book.name_en or book.key} ({book.key} v{book.version})",
                                False), level=1)
    for row in tree:
        code = row.code
        if not code.enabled:
            continue
        paragraph = doc.add_paragraph()
        paragraph.paragraph_format.left_indent = Cm(0.6 * row.depth)
        paragraph.add_run(writer.text(f"{code_label(code, language)} ({code.key})", False)).bold = True
        if code.definition:
            paragraph.add_run(writer.text(f" — {code.definition}", False))
