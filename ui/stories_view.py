"""The Stories page's parts: a story with its steps and checks, the case's coded segments to add as steps, and the
value-creation matrix. Every text people wrote or said is shown escaped, never as HTML or Markdown."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from analysis.story_matrix import StoryMatrix, build_story_matrix, build_story_reach_matrix, step_citation
from cases.documents import quote_citation
from coding.stories import Cycle
from coding.story_views import Candidate, StepView, StoryView
from exports.case_report import DOCX_MIME
from exports.matrix_tables import build_matrix_docx, build_xlsx, story_table
from exports.xlsx_book import XLSX_MIME
from store.db import read_session
from store.errors import Refused
from ui.links import coding_link, show_link
from ui.state import EMPTY, engine, md_escape

MAX_CANDIDATES = 100  # per cycle on the page


def _open_link(project_guid: str, step: StepView) -> None:
    """The step's turn on the Coding page: the drill-down from a story or a matrix cell to the transcript."""
    show_link(coding_link(project_guid, step.document_guid, None if step.turn is None else step.turn - 1))


def show_story(view: StoryView, cycles: list[Cycle], *, editable: bool, project_guid: str
               ) -> tuple[str, str, Any] | None:
    """The story's steps, each with its quote, note and checks; returns what a button or form asked for:
    ("move", step guid, position), ("remove", step guid, None) or ("edit", step guid, (note, cycle, shown note))."""
    st.caption(md_escape(" · ".join(p for p in (view.case, view.person, f"written by {view.author}") if p)))
    for warning in view.warnings:
        st.warning(md_escape(warning))
    asked: tuple[str, str, Any] | None = None
    labels = {c.key: c.label for c in cycles}
    for step in view.steps:
        with st.container(border=True):
            st.markdown(md_escape(f"{step.position}. {step.cycle_label}"))
            st.caption(md_escape(f"{step_citation(step, numbered=False)} · coded by {step.coder}"))
            st.markdown(md_escape(step.text))
            if step.note:
                st.caption(md_escape(f"↳ {step.note}"))
            for warning in step.warnings:
                st.caption(md_escape(f"⚠ {warning}"))
            _open_link(project_guid, step)
            if not editable:
                continue
            up, down, remove, _ = st.columns([1, 1, 1, 5])
            if up.button("↑", key=f"step_up_{step.guid}", disabled=step.position == 1, help="Move up"):
                asked = ("move", step.guid, step.position - 1)
            if down.button("↓", key=f"step_down_{step.guid}", disabled=step.position == len(view.steps),
                           help="Move down"):
                asked = ("move", step.guid, step.position + 1)
            if remove.button("✕", key=f"step_remove_{step.guid}", help="Take this step out of the story"):
                asked = ("remove", step.guid, None)
            with st.expander("Edit the note or the cycle"), st.form(f"step_edit_{step.guid}"):
                note = st.text_area("How it follows from the step before", value=step.note,
                                    key=f"step_note_{step.guid}")
                keys = list(labels)
                cycle = st.selectbox("Cycle", keys, format_func=labels.get, key=f"step_cycle_{step.guid}",
                                     index=keys.index(step.cycle) if step.cycle in keys else 0)
                if st.form_submit_button("Save step"):
                    asked = ("edit", step.guid, (note, None if cycle == step.cycle else cycle, step.note))
    if not view.steps:
        st.info("No steps yet: add coded segments of the case below.")
    return asked


def show_candidates(candidates: list[Candidate], cycles: list[Cycle], story: StoryView
                    ) -> tuple[str, str, int] | None:
    """The case's segments coded with one cycle, each with a button adding it as a step standing for that cycle;
    returns (segment guid, cycle key, position) when one was clicked."""
    counts = {c.key: sum(c.key in x.cycles for x in candidates) for c in cycles}
    labels = {c.key: f"{c.label} ({counts[c.key]})" for c in cycles}
    left, right = st.columns([3, 1])
    cycle = left.selectbox("Segments coded with", list(labels), format_func=labels.get, key="story_add_cycle")
    position = right.number_input("At position", min_value=1, max_value=len(story.steps) + 1,
                                  value=len(story.steps) + 1,
                                  key=f"story_add_position_{story.guid}_{len(story.steps)}")  # after a change: the end
    shown = [c for c in candidates if cycle in c.cycles]
    if not shown:
        st.caption("No segment of this case is coded with this cycle.")
    if len(shown) > MAX_CANDIDATES:
        st.caption(f"The first {MAX_CANDIDATES} of {len(shown)}, in document order.")
    picked = None
    steps = {s.segment for s in story.steps}
    for candidate in shown[:MAX_CANDIDATES]:
        words, button = st.columns([5, 1], vertical_alignment="center")
        where = quote_citation(None if candidate.turn is None else candidate.turn - 1, candidate.speaker,
                               document=candidate.document)
        also = [k for k in candidate.cycles if k != cycle]
        words.caption(md_escape(f"{where} · {candidate.coder}" + (f" · also {', '.join(also)}" if also else "")
                                + (f" · in {', '.join(candidate.in_story)}" if candidate.in_story else "")))
        words.markdown(md_escape(candidate.text))
        if button.button("Add", key=f"story_add_{candidate.segment}_{cycle}", disabled=candidate.segment in steps,
                         help="Already a step of this story" if candidate.segment in steps else
                         "Add as a step standing for this cycle"):
            picked = (candidate.segment, cycle, int(position))
    return picked


def _frame(matrix: StoryMatrix) -> pd.DataFrame:
    if matrix.rows == "cases":
        return pd.DataFrame(matrix.counts, index=matrix.row_labels, columns=[c.label for c in matrix.cycles])
    return pd.DataFrame([[matrix.cell_text(i, j) or EMPTY for j in range(len(matrix.cycles))]
                         for i in range(len(matrix.row_labels))],
                        index=matrix.row_labels, columns=[c.label for c in matrix.cycles])


def show_value_creation_matrix(project, case) -> None:  # type: ignore[no-untyped-def]
    """Stories x cycles of this case (None: of every case; each cell the step's quote), or every case's stories
    reaching each cycle, with the steps behind a chosen cell (and their turns) and the Excel and Word downloads."""
    st.header("Value-creation matrix")
    views = {"stories": md_escape(f"Stories of {case.name} × cycles") if case else "Every story × cycles",
             "cases": "Cases × cycles: stories reaching each cycle"}  # (radio options are Markdown)
    kind = st.radio("Show", list(views), format_func=views.get, horizontal=True, key="story_matrix_kind")
    try:
        with read_session(engine()) as s:
            matrix = (build_story_matrix(s, project, case=case) if kind == "stories"
                      else build_story_reach_matrix(s, project))
    except Refused as exc:  # no value-creation codebook
        st.info(md_escape(str(exc)))
        return
    if not matrix.row_labels:
        st.info("No stories to show yet.")
        return
    st.dataframe(_frame(matrix), key=f"story_matrix_{kind}", width="stretch", placeholder=EMPTY)
    table = story_table(matrix)
    d1, d2, _ = st.columns([1, 1, 4])
    d1.download_button("Excel", data=lambda: build_xlsx([table], project=project.name), mime=XLSX_MIME,
                       file_name="value-creation-matrix.xlsx", key="story_matrix_xlsx", on_click="ignore",
                       icon=":material/download:")
    d2.download_button("Word", data=lambda: build_matrix_docx(table, project=project.name),
                       file_name="value-creation-matrix.docx", key="story_matrix_docx", on_click="ignore",
                       icon=":material/download:",
                       mime=DOCX_MIME)
    cells = [(i, j) for i in range(len(matrix.row_labels)) for j in range(len(matrix.cycles)) if matrix.steps[i][j]]
    if not cells:
        return
    cell = st.selectbox("The steps behind a cell", cells, key=f"story_cell_{kind}",
                        format_func=lambda ij: f"{matrix.row_labels[ij[0]]} × {matrix.cycles[ij[1]].label}")
    for step in matrix.steps[cell[0]][cell[1]]:
        st.caption(md_escape(step_citation(step)))
        st.markdown(md_escape(step.text))
        _open_link(str(project.guid), step)
