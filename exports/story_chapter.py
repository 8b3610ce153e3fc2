"""The stories chapter of the Word reports: the value-creation matrix (stories x cycles) and the stories reaching
each cycle per case as real Word tables, then each story step by step with its quote, link note and checks.

The report that calls it says how text is cleaned (`clean`: other cases' names hidden, persons' names masked,
characters XML cannot hold dropped) and how a step's document is named (`document`: its title, or "interview 2"
when anonymised), so a story reads exactly like the rest of that report.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from docx.shared import Pt
from sqlalchemy.orm import Session

from analysis.story_matrix import build_story_reach_matrix, story_matrix_of
from cases.documents import quote_citation
from coding.stories import Cycle, story_cycles
from coding.story_views import StepView, StoryView, story_views
from exports.docx_appender import add_text_table
from store.errors import Refused
from store.models import Case, Project

INTRO = ("A value-creation story follows one person or group from an activity in the network through what it gave "
         "them, what they did with it and what changed (Wenger, Trayner & de Laat 2011). Each step is a coded "
         "segment with the cycle it stands for and a note on how it follows from the step before. The checks under "
         "a story are there to discuss, not rules: value can skip cycles and loop back.")


def add_stories_chapter(doc: Any, session: Session, project: Project, *, clean: Callable[[str], str],
                        document: Callable[[StepView], str], case: Case | None = None,
                        reach_cases: bool = True, authors: bool = True, level: int = 1) -> None:
    """Append the chapter (nothing when the project has no value-creation codebook). `authors`: name who wrote
    each story (an anonymised report does not)."""
    try:
        cycles = story_cycles(session, project)
    except Refused:
        return
    views = story_views(session, project, case=case, cycles=cycles)
    matrix = story_matrix_of(views, cycles)
    doc.add_heading("Value-creation stories", level=level)
    if not views:
        doc.add_paragraph().add_run(clean(f"No value-creation stories{' of ' + case.name if case else ''} yet.")
                                    ).italic = True
        return
    doc.add_paragraph(INTRO)
    labels = [clean(_story_label(v, case is None)) for v in views]
    doc.add_heading("Value-creation matrix", level=level + 1)
    rows = [["story", *[c.label for c in cycles]]]
    for i, label in enumerate(labels):
        rows.append([label, *["\n".join(f"{s.position}. {clean(s.text)}" for s in matrix.steps[i][j])
                              for j in range(len(cycles))]])
    add_text_table(doc, rows)
    if reach_cases:
        reach = build_story_reach_matrix(session, project)
        doc.add_heading("Stories reaching each cycle", level=level + 1)
        add_text_table(doc, [["case", *[c.label for c in cycles]],
                             *[[clean(name), *[str(n) for n in reach.counts[i]]]
                               for i, name in enumerate(reach.row_labels)]])
    for view, label in zip(views, labels, strict=True):
        _story(doc, view, label, cycles, clean, document, level + 1, authors)


def _story_label(view: StoryView, with_case: bool) -> str:
    parts = [view.case] if with_case else []
    if view.person:
        parts.append(view.person)
    return f"{view.title} ({', '.join(parts)})" if parts else view.title


def _story(doc: Any, view: StoryView, label: str, cycles: list[Cycle], clean: Callable[[str], str],
           document: Callable[[StepView], str], level: int, authors: bool) -> None:
    doc.add_heading(label, level=level)
    reached = [c.label for c in cycles if c.key in view.cycles_reached()]
    facts = f"{len(view.steps)} step(s); reaches {', '.join(reached) or 'no cycle'}" + (
        f"; written by {view.author}." if authors else ".")
    doc.add_paragraph().add_run(clean(facts)).italic = True
    for warning in view.warnings:
        doc.add_paragraph().add_run(clean(f"Check: {warning}.")).italic = True
    for step in view.steps:
        head = doc.add_paragraph()
        head.add_run(clean(f"{step.position}. {step.cycle_label}")).bold = True
        where = quote_citation(None if step.turn is None else step.turn - 1, step.speaker, document=document(step))
        reference = head.add_run(clean(f" · {where} · characters {step.start}–{step.end}"))
        reference.italic = True
        reference.font.size = Pt(9)
        doc.add_paragraph(clean(step.text), style="Quote")
        if step.note:
            doc.add_paragraph(clean(f"↳ {step.note}"))
        for warning in step.warnings:
            doc.add_paragraph().add_run(clean(f"Check: {warning}.")).italic = True
