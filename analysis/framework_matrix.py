"""The framework (summary) matrix: what the analyst writes on a case x code cell, beside what is derived.

Stored per cell: a state, an ordinal rating on the project's scale with its decision rule, a 1-3 sentence
summary, exemplar quotes pinned from the cell's own segments (headline first) and a validation status.
Counts, "k of n" and the assigned-vs-evidenced flag are derived every time from the codings, so they are
never stale. Every change is one transaction with one event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis.matrix import Matrix, MatrixSpec, Quote, build_matrix
from analysis.matrix_scope import Scope
from cases.projects import get_case
from codebooks.service import find_code
from store.errors import Refused
from store.events import changed_by, record_event
from store.models import (
    CELL_STATES, VALIDATION_STATUSES, CaseDocument, CellQuote, Code, Coding, Feedback, FrameworkCell, Project,
    RatingLevel, Segment, utcnow,
)

DEFAULT_SCALE = {
    1: ("weak", "Mentioned in passing by one source, without an example."),
    2: ("present", "Described with a concrete example by at least one source."),
    3: ("strong", "Described with examples by at least two sources (≥3 needs two sources)."),
    4: ("very strong", "Described with examples by three or more sources, including a non-interview source."),
}
VALIDATION_STEPS = {
    "proposed": {"discussed", "confirmed", "amended", "disputed"},
    "discussed": {"proposed", "confirmed", "amended", "disputed"},
    "confirmed": {"discussed"},
    "amended": {"discussed"},
    "disputed": {"discussed"},
}
MAX_SUMMARY_SENTENCES = 3
MAX_PINNED = 3
_SENTENCE_END = re.compile(r"[.!?…]+(?=\s|$)")


@dataclass
class RatingStep:
    level: int
    label: str
    rule: str


def rating_scale(session: Session, project: Project) -> list[RatingStep]:
    """The project's 1-4 scale: its own labels and rules where set, the defaults elsewhere."""
    stored = {r.level: r for r in session.scalars(select(RatingLevel).where(RatingLevel.project_id == project.id))}
    return [RatingStep(level, stored[level].label, stored[level].rule) if level in stored
            else RatingStep(level, *DEFAULT_SCALE[level]) for level in sorted(DEFAULT_SCALE)]


def set_rating_level(session: Session, project: Project, level: int, label: str, rule: str,
                     *, actor: str = "system") -> None:
    if level not in DEFAULT_SCALE:
        raise Refused(f"rating levels run from 1 to 4, not {level}")
    label = " ".join(label.split())
    if not label or len(label) > 100:
        raise Refused("a rating label needs 1 to 100 characters")
    row = session.scalar(select(RatingLevel).where(RatingLevel.project_id == project.id, RatingLevel.level == level))
    before = {"label": row.label, "rule": row.rule} if row else None
    if row is None:
        row = RatingLevel(project_id=project.id, level=level, label=label, rule=rule.strip())
        session.add(row)
        session.flush()
    else:
        row.label, row.rule = label, rule.strip()
    record_event(session, project_guid=project.guid, actor=actor, action="update", entity="rating_level",
                 entity_guid=row.guid, before=before, after={"level": level, "label": label, "rule": rule.strip()})


def count_sentences(text: str) -> int:
    """Sentences by their closing punctuation; trailing text without one counts as a sentence too."""
    text = text.strip()
    if not text:
        return 0
    ends = len(_SENTENCE_END.findall(text))
    return ends if text[-1] in ".!?…" else ends + 1


# What a cell that is not stored looks like in the log: the "before" of the change that created it.
NO_CELL = {"state": None, "rating": None, "summary": "", "validation": None, "quotes": []}


def _cell(session: Session, project: Project, case_ref: str, code_ref: str, *, create: bool
          ) -> tuple[FrameworkCell | None, object, Code, dict]:
    """The cell, its case and code, and its snapshot before this change (NO_CELL when this creates it)."""
    case = get_case(session, project, case_ref)
    code = find_code(session, project, code_ref)
    cell = session.scalar(select(FrameworkCell).where(FrameworkCell.case_id == case.id,  # locked for this write
                                                      FrameworkCell.code_id == code.id)
                          .with_for_update().execution_options(populate_existing=True))
    if cell is None:
        if create:
            # Writing a summary or pinning a quote is assessing the cell; "not assessed" is chosen explicitly.
            cell = FrameworkCell(project_id=project.id, case_id=case.id, code_id=code.id, state="assessed",
                                 summary="", validation="proposed")
            session.add(cell)
            session.flush()
        return cell, case, code, dict(NO_CELL)
    return cell, case, code, cell_snapshot(cell)


def _as_seen(values: dict) -> tuple:
    """What a person sees of a cell (an unstored cell reads as not assessed, proposed, empty)."""
    return (values.get("state") or "not_assessed", values.get("rating"), values.get("summary") or "",
            values.get("validation") or "proposed")


def cell_snapshot(cell: FrameworkCell | None) -> dict:
    """What the log keeps of a cell before and after each change: enough to put it back exactly."""
    if cell is None:
        return dict(NO_CELL)
    return {"state": cell.state, "rating": cell.rating, "summary": cell.summary, "validation": cell.validation,
            "quotes": [str(q.segment_id) for q in sorted(cell.quotes, key=lambda q: q.position)]}


def cell_place(case, code: Code) -> dict:  # type: ignore[no-untyped-def]
    """Which cell an event is about, by name (for people) and by guid (names change)."""
    return {"case": case.name, "code": code.key, "case_guid": str(case.guid), "code_guid": str(code.guid)}


def save_cell(session: Session, project: Project, case_ref: str, code_ref: str, *, state: str | None = None,
              rating: int | None = None, summary: str | None = None, validation: str | None = None,
              clear_rating: bool = False, actor: str = "system", shown: dict | None = None) -> FrameworkCell:
    """Write a cell's state, rating, summary or validation; a rating makes the cell assessed. `shown`: the
    state, rating, summary and validation the person saw; when the cell is another by now, nothing is saved and
    they are told who changed it."""
    if state is not None and state not in CELL_STATES:
        raise Refused(f"unknown cell state '{state}' (use one of: {', '.join(CELL_STATES)})")
    if validation is not None and validation not in VALIDATION_STATUSES:
        raise Refused(f"unknown validation status '{validation}' (use one of: {', '.join(VALIDATION_STATUSES)})")
    if rating is not None and rating not in DEFAULT_SCALE:
        raise Refused(f"a rating runs from 1 to 4, not {rating}")
    if summary is not None:
        summary = " ".join(summary.split())
        if count_sentences(summary) > MAX_SUMMARY_SENTENCES:
            raise Refused(f"a cell summary has 1 to {MAX_SUMMARY_SENTENCES} sentences; this one has "
                          f"{count_sentences(summary)}")
        if len(summary) > 1000:
            raise Refused("a cell summary is at most 1,000 characters")
    cell, case, code, before = _cell(session, project, case_ref, code_ref, create=True)
    if shown is not None and _as_seen(before) != _as_seen(shown):
        raise Refused(f"this cell was {changed_by(session, cell.guid, actor)}; look at it again (nothing was saved)")
    if rating is not None and state is None:
        state = "assessed"
    if state is not None:
        if state != "assessed" and (rating is not None or (cell.rating is not None and not clear_rating)):
            if rating is not None:
                raise Refused(f"a cell marked '{state}' has no rating; rate only assessed cells")
            cell.rating = None
        cell.state = state
    if clear_rating:
        cell.rating = None
    if rating is not None:
        cell.rating = rating
    if summary is not None:
        cell.summary = summary
    if validation is not None and validation != cell.validation:
        if validation not in VALIDATION_STEPS[cell.validation]:
            raise Refused(f"a cell goes from '{cell.validation}' to one of "
                          f"{', '.join(sorted(VALIDATION_STEPS[cell.validation]))}, not to '{validation}'")
        cell.validation = validation
    cell.updated_by, cell.updated_at = actor, utcnow()
    session.flush()
    record_event(session, project_guid=project.guid, actor=actor, action="update", entity="framework_cell",
                 entity_guid=cell.guid, before=before, after={**cell_place(case, code), **cell_snapshot(cell)})
    return cell


def cell_segment_candidates(session: Session, project: Project, case_id: int, code: Code) -> set[int]:
    """Segments that may be pinned on a cell: any coder's segments in the case coded with the code or below."""
    ids, frontier = {code.id}, [code.id]
    while frontier:
        frontier = list(session.scalars(select(Code.id).where(Code.parent_id.in_(frontier))))
        ids.update(frontier)
    stmt = (select(Segment.id).join(Coding, Coding.segment_id == Segment.id)
            .where(Coding.code_id.in_(ids),
                   Segment.document_id.in_(select(CaseDocument.document_id).where(CaseDocument.case_id == case_id))))
    return set(session.scalars(stmt))


def pin_quote(session: Session, project: Project, case_ref: str, code_ref: str, segment_guid: str, *,
              headline: bool = False, actor: str = "system") -> FrameworkCell:
    """Pin one of the cell's own segments as an exemplar quote (headline = first)."""
    cell, case, code, before = _cell(session, project, case_ref, code_ref, create=True)
    segment = session.scalar(select(Segment).where(Segment.guid == _uuid(segment_guid)))
    if segment is None or segment.id not in cell_segment_candidates(session, project, case.id, code):
        raise Refused(f"segment {segment_guid} is not coded '{code.key}' in case '{case.name}'; pin one of the "
                      "cell's own segments")
    pinned = [q for q in cell.quotes if q.segment_id != segment.id]
    if len(pinned) >= MAX_PINNED:
        raise Refused(f"a cell holds at most {MAX_PINNED} exemplar quotes; unpin one first")
    existing = next((q for q in cell.quotes if q.segment_id == segment.id), None)
    if existing is None:
        existing = CellQuote(cell_id=cell.id, segment_id=segment.id, position=len(pinned))
        cell.quotes.append(existing)
    ordered = [existing, *pinned] if headline else [*pinned, existing]
    for position, quote in enumerate(ordered):
        quote.position = position + 1000  # dodge transient duplicates, then renumber
    session.flush()
    for position, quote in enumerate(ordered):
        quote.position = position
    cell.updated_by, cell.updated_at = actor, utcnow()
    session.flush()
    session.refresh(cell)
    record_event(session, project_guid=project.guid, actor=actor, action="pin", entity="framework_cell",
                 entity_guid=cell.guid, before=before,
                 after={**cell_place(case, code), "segment": str(segment.guid), "headline": headline,
                        **cell_snapshot(cell)})
    return cell


def unpin_quote(session: Session, project: Project, case_ref: str, code_ref: str, segment_guid: str,
                *, actor: str = "system") -> None:
    cell, case, code, before = _cell(session, project, case_ref, code_ref, create=False)
    segment = session.scalar(select(Segment).where(Segment.guid == _uuid(segment_guid)))
    quote = next((q for q in cell.quotes if segment and q.segment_id == segment.id), None) if cell else None
    if quote is None:
        raise Refused(f"segment {segment_guid} is not pinned on '{case.name}' x '{code.key}'")
    cell.quotes.remove(quote)
    session.flush()
    for position, q in enumerate(cell.quotes):
        q.position = position
    cell.updated_by, cell.updated_at = actor, utcnow()
    session.flush()
    record_event(session, project_guid=project.guid, actor=actor, action="unpin", entity="framework_cell",
                 entity_guid=cell.guid, before=before,
                 after={**cell_place(case, code), "segment": str(segment.guid), **cell_snapshot(cell)})


def _uuid(value: str):  # noqa: ANN202
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Refused(f"'{value}' is not a segment guid") from None


# --- the framework matrix as a reader sees it ------------------------------------------------------

@dataclass
class FrameworkCellView:
    case: str
    code: str
    state: str | None  # None = nothing stored
    rating: int | None
    rating_label: str | None
    summary: str
    validation: str | None
    quotes: list[Quote]  # pinned, headline first
    count: int
    documents: int
    k: int
    n: int
    feedback: int
    pooled: bool = False
    segment_guids: list[str] = field(default_factory=list)

    @property
    def assigned_not_evidenced(self) -> bool:
        """Rated or assessed present while no coded segment backs it."""
        return self.count == 0 and self.state == "assessed" and (self.rating or 0) >= 1

    def line(self, *, counts: bool = True) -> str:
        """e.g. "present (2) · members pick up usable tips · 2 quotes · 4 of 6 interviewees · confirmed"."""
        if self.state in ("not_assessed", "no_data", "not_applicable", "absent"):
            head = self.state.replace("_", " ")
        elif self.rating is not None:
            head = f"{self.rating_label} ({self.rating})"
        else:
            head = "not rated"
        parts = [head]
        if self.summary:
            parts.append(self.summary)
        if self.quotes:
            parts.append(f"{len(self.quotes)} quote{'s' if len(self.quotes) != 1 else ''}")
        if counts:
            parts.append(f"{self.k} of {self.n} interviewees")
        if self.validation and self.validation != "proposed":
            parts.append(self.validation)
        if self.assigned_not_evidenced:
            parts.append("⚠ rated without coded evidence")
        if self.state in ("no_data", "absent", "not_applicable") and self.count:
            parts.append(f"⚠ marked {self.state.replace('_', ' ')} but {self.count} coded segments")
        return " · ".join(parts)


@dataclass
class FrameworkMatrix:
    matrix: Matrix
    cells: list[list[FrameworkCellView]]
    scale: list[RatingStep]

    @property
    def rows(self) -> list[str]:
        return [r.label for r in self.matrix.rows]

    @property
    def columns(self) -> list[str]:
        return [c.key for c in self.matrix.columns]


def build_framework_matrix(session: Session, project: Project, codebook: str, *, depth: int | None = None,
                           scope: Scope | None = None, language: str = "en") -> FrameworkMatrix:
    """Cases x codes with stored cells laid over derived counts and "k of n"."""
    matrix = build_matrix(session, project, MatrixSpec(rows="cases", codebook=codebook, depth=depth,
                                                       measure="count", scope=scope or Scope()),
                          language=language, with_persons=True)
    scale = rating_scale(session, project)
    labels = {s.level: s.label for s in scale}
    code_ids = [c.code_id for c in matrix.columns]
    stored = {(c.case_id, c.code_id): c for c in session.scalars(
        select(FrameworkCell).where(FrameworkCell.project_id == project.id, FrameworkCell.code_id.in_(code_ids)))}
    pinned_ids = {q.segment_id for c in stored.values() for q in c.quotes}
    quotes = _quotes_by_segment(session, project, pinned_ids)
    feedback: dict[tuple[int | None, int], int] = {}
    for case_id, code_id in session.execute(select(Feedback.case_id, Feedback.code_id).where(
            Feedback.code_id.in_(code_ids), Feedback.case_id.is_not(None))):
        feedback[(case_id, code_id)] = feedback.get((case_id, code_id), 0) + 1
    cells = []
    for i, row in enumerate(matrix.rows):
        line = []
        for j, column in enumerate(matrix.columns):
            cell = stored.get((row.sql_key, column.code_id))
            line.append(FrameworkCellView(
                case=row.label, code=column.key, state=cell.state if cell else None,
                rating=cell.rating if cell else None,
                rating_label=labels.get(cell.rating) if cell and cell.rating else None,
                summary=cell.summary if cell else "", validation=cell.validation if cell else None,
                quotes=[quotes[q.segment_id] for q in cell.quotes if q.segment_id in quotes] if cell else [],
                count=matrix.counts[i][j], documents=matrix.documents[i][j],
                k=matrix.persons[i][j] if matrix.persons else 0, n=matrix.interviewees(i),
                feedback=feedback.get((row.sql_key, column.code_id), 0), pooled=matrix.pooled[i][j]))
        cells.append(line)
    return FrameworkMatrix(matrix=matrix, cells=cells, scale=scale)


def _quotes_by_segment(session: Session, project: Project, segment_ids: set[int]) -> dict[int, Quote]:
    if not segment_ids:
        return {}
    from coding.retrieval import retrieve_segments

    found = retrieve_segments(session, project, code_keys=[], segment_ids=segment_ids)
    ids = dict(session.execute(select(Segment.guid, Segment.id).where(Segment.id.in_(segment_ids))).all())
    return {ids[r.segment]: Quote(segment=str(r.segment), document=r.document, document_guid=str(r.document_guid),
                                  start=r.start, end=r.end, text=r.text, turn=r.turn, role=r.role,
                                  speaker=r.speaker, pseudonym=r.pseudonym, speaker_key=r.speaker_key, coder=r.coder,
                                  page=r.page)
            for r in found}


# --- one click away: value-cycle profile, learning level x value cycle ------------------------------

HORIZON_BANDS = {"before": "before", "short": "short term", "medium": "medium term", "long": "long term"}


@dataclass
class ProfileBand:
    horizon: str
    label: str
    columns: list[int]  # indices into the framework matrix's columns


def value_cycle_profile(session: Session, project: Project, *, codebook: str = "vc",
                        scope: Scope | None = None, language: str = "en") -> tuple[FrameworkMatrix, list[ProfileBand]]:
    """Cases x value cycles in ladder order (immediate -> transformative), grouped into horizon bands."""
    framework = build_framework_matrix(session, project, codebook, depth=1, scope=scope, language=language)
    columns = framework.matrix.columns
    order = sorted(range(len(columns)), key=lambda j: (columns[j].rank is None, columns[j].rank or 0, j))
    order = [j for j in order if columns[j].rank is not None]
    if not order:
        raise Refused(f"codebook '{codebook}' has no ranked cycles to draw a profile from")
    framework = _reorder(framework, order)
    bands: list[ProfileBand] = []
    for j, column in enumerate(framework.matrix.columns):
        horizon = column.horizon or "unbanded"
        if not bands or bands[-1].horizon != horizon:
            bands.append(ProfileBand(horizon, HORIZON_BANDS.get(horizon, horizon), []))
        bands[-1].columns.append(j)
    return framework, bands


def _reorder(framework: FrameworkMatrix, order: list[int]) -> FrameworkMatrix:
    m = framework.matrix

    def pick(grid):  # noqa: ANN001, ANN202
        return None if grid is None else [[row[j] for j in order] for row in grid]

    matrix = Matrix(spec=m.spec, codebook=m.codebook, codebook_version=m.codebook_version, rows=m.rows,
                    columns=[m.columns[j] for j in order], counts=pick(m.counts), documents=pick(m.documents),
                    persons=pick(m.persons), pooled=pick(m.pooled), states=pick(m.states), scope_note=m.scope_note,
                    coverage=pick(m.coverage), quotes=pick(m.quotes), speaker_based=m.speaker_based)
    return FrameworkMatrix(matrix=matrix, cells=pick(framework.cells), scale=framework.scale)


def learning_by_value_cycle(session: Session, project: Project, *, levels: str = "lo", cycles: str = "vc",
                            case: str | None = None, unit: str = "overlap", scope: Scope | None = None):  # noqa: ANN201
    """Learning level (lo, or ol4i levels) x value cycle co-occurrence, per case or pooled over cases."""
    from analysis.cooccurrence import CooccurrenceSpec, build_cooccurrence

    return build_cooccurrence(session, project, CooccurrenceSpec(
        codebook=levels, codebook2=cycles, depth=1, depth2=1, unit=unit, scope=scope or Scope(), case=case))
