"""The value-creation matrix, the framework's own summary display (Wenger, Trayner & de Laat 2011): stories x
cycles, each cell the evidence of that step; and cases x cycles, how many of a case's stories reach each cycle.
Both are derived from the stories on every call, with the segments behind every cell for the drill-down.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from cases.documents import quote_citation
from cases.projects import list_cases
from coding.stories import VALUE_CREATION, Cycle, story_cycles
from coding.story_views import StepView, StoryView, story_views
from store.errors import Refused
from store.models import Case, Project

STORY_ROWS = ("stories", "cases")


@dataclass
class StoryMatrix:
    """rows x cycles. For story rows a cell holds the story's steps in that cycle; for case rows, the steps of
    the case's stories there, `counts` the number of distinct stories that reach it."""

    rows: str  # "stories" or "cases"
    row_labels: list[str]
    row_keys: list[str]  # story or case guids
    cycles: list[Cycle]
    steps: list[list[list[StepView]]]
    counts: list[list[int]]
    notes: list[str] = field(default_factory=list)  # a row's story warnings (story rows)

    @property
    def measure(self) -> str:
        return "steps" if self.rows == "stories" else "stories"

    def cell_text(self, i: int, j: int) -> str:
        """What a reader sees in the cell: the quotes (story rows) or the number of stories."""
        if self.rows == "stories":
            return "\n".join(f"{step_citation(s)}: {s.text}" for s in self.steps[i][j])
        return str(self.counts[i][j])

    def cell_segments(self, i: int, j: int) -> list[str]:
        return list(dict.fromkeys(s.segment for s in self.steps[i][j]))

    def as_json(self) -> dict:
        if self.rows == "stories":
            values = [[[{"position": s.position, "segment": s.segment, "document": s.document, "turn": s.turn,
                         "text": s.text, "note": s.note, "warnings": s.warnings} for s in cell] for cell in row]
                      for row in self.steps]
        else:
            values = self.counts
        return {"rows": self.row_labels, "row_guids": self.row_keys, "columns": [c.key for c in self.cycles],
                "column_labels": [c.label for c in self.cycles], "values": values, "measure": self.measure,
                "codebook": VALUE_CREATION,
                "segments": [[self.cell_segments(i, j) for j in range(len(self.cycles))]
                             for i in range(len(self.row_labels))]}


def step_citation(step: StepView, *, numbered: bool = True) -> str:
    """"2. interview_oost · turn 6": the step's number in its story (unless not `numbered`), then where its quote
    comes from."""
    where = quote_citation(None if step.turn is None else step.turn - 1, step.speaker, document=step.document)
    return f"{step.position}. {where}" if numbered else where


def _check_columns(codebook: str | None, depth: int | None) -> None:
    if codebook not in (None, VALUE_CREATION, "vc"):
        raise Refused(f"story matrices have the value-creation cycles as columns (codebook:{VALUE_CREATION}), "
                      f"not '{codebook}'")
    if depth not in (None, 1):
        raise Refused("story matrices show the cycles themselves: depth 1")


def build_story_matrix(session: Session, project: Project, *, case: Case | None = None, language: str = "en",
                       codebook: str | None = None, depth: int | None = None) -> StoryMatrix:
    """Stories (of one case, or all) x cycles."""
    _check_columns(codebook, depth)
    cycles = story_cycles(session, project, language)
    return story_matrix_of(story_views(session, project, case=case, language=language, cycles=cycles), cycles)


def story_matrix_of(views: list[StoryView], cycles: list[Cycle]) -> StoryMatrix:
    """Stories x cycles from stories already read (a report that shows them step by step as well)."""
    index = {c.key: j for j, c in enumerate(cycles)}
    steps = [[[] for _ in cycles] for _ in views]  # type: list[list[list[StepView]]]
    for i, view in enumerate(views):
        for step in view.steps:
            if step.cycle in index:
                steps[i][index[step.cycle]].append(step)
    counts = [[len(cell) for cell in row] for row in steps]
    labels = [_story_label(v) for v in views]
    return StoryMatrix("stories", labels, [v.guid for v in views], cycles, steps, counts,
                       notes=["; ".join(v.warnings) for v in views])


def build_story_reach_matrix(session: Session, project: Project, *, language: str = "en",
                             codebook: str | None = None, depth: int | None = None) -> StoryMatrix:
    """Cases x cycles: how many distinct stories of each case reach each cycle (every case, with or without)."""
    _check_columns(codebook, depth)
    cycles = story_cycles(session, project, language)
    cases = list_cases(session, project)
    row_of = {str(c.guid): i for i, c in enumerate(cases)}
    index = {c.key: j for j, c in enumerate(cycles)}
    steps = [[[] for _ in cycles] for _ in cases]  # type: list[list[list[StepView]]]
    reached: list[list[set[str]]] = [[set() for _ in cycles] for _ in cases]
    for view in story_views(session, project, language=language, cycles=cycles):
        i = row_of[view.case_guid]
        for step in view.steps:
            if step.cycle in index:
                steps[i][index[step.cycle]].append(step)
                reached[i][index[step.cycle]].add(view.guid)
    counts = [[len(cell) for cell in row] for row in reached]
    return StoryMatrix("cases", [c.name for c in cases], list(row_of), cycles, steps, counts)


def _story_label(view: StoryView) -> str:
    person = f", {view.person}" if view.person else ""
    return f"{view.title} ({view.case}{person})"


def reach_profile(views: list[StoryView], cycles: list[Cycle], cases: list[str] | None = None
                  ) -> dict[str, dict[str, int]]:
    """How far do stories get: per case (every one of `cases`, in that order, and any other with stories), the
    number of stories whose highest cycle on the ladder is each cycle (cycles off the ladder, and stories with no
    step on it, are left out)."""
    ranked = {c.key: c for c in cycles if c.rank is not None}
    profile: dict[str, dict[str, int]] = {case: {c.key: 0 for c in ranked.values()} for case in cases or []}
    for view in views:
        top = max((ranked[s.cycle] for s in view.steps if s.cycle in ranked), key=lambda c: c.rank or 0.0,
                  default=None)
        row = profile.setdefault(view.case, {c.key: 0 for c in ranked.values()})
        if top is not None:
            row[top.key] += 1
    return profile
