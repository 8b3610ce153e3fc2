"""Derived analyses cached per project revision, shared by the Matrices, Charts, Framework and Presentation pages.

Every change writes an event, so a key holding the project's latest event id is never stale; a matrix built on
one page is reused by the next. Results are read only by callers.
"""

from __future__ import annotations

import streamlit as st

from analysis.cooccurrence import Cooccurrence, CooccurrenceSpec, build_cooccurrence
from analysis.framework_matrix import (
    FrameworkMatrix, ProfileBand, build_framework_matrix, learning_by_value_cycle, value_cycle_profile,
)
from analysis.matrix import Matrix, MatrixSpec, build_matrix
from analysis.matrix_scope import Scope
from cases.projects import get_project
from focusgroups.presentation import Presentation, build_presentation
from store.db import read_session
from ui.state import engine


@st.cache_resource(max_entries=16, show_spinner=False)
def load_matrix(project_guid: str, revision: int, spec: MatrixSpec) -> Matrix:
    with read_session(engine()) as s:
        return build_matrix(s, get_project(s, project_guid), spec)


@st.cache_resource(max_entries=16, show_spinner=False)
def load_cooccurrence(project_guid: str, revision: int, spec: CooccurrenceSpec) -> Cooccurrence:
    with read_session(engine()) as s:
        return build_cooccurrence(s, get_project(s, project_guid), spec)


@st.cache_resource(max_entries=8, show_spinner=False)
def load_framework(project_guid: str, revision: int, codebook: str, depth: int | None) -> FrameworkMatrix:
    with read_session(engine()) as s:
        return build_framework_matrix(s, get_project(s, project_guid), codebook, depth=depth, scope=Scope())


@st.cache_resource(max_entries=8, show_spinner=False)
def load_profile(project_guid: str, revision: int, codebook: str,
                 scope: Scope = Scope()) -> tuple[FrameworkMatrix, list[ProfileBand]]:
    with read_session(engine()) as s:
        return value_cycle_profile(s, get_project(s, project_guid), codebook=codebook, scope=scope)


@st.cache_resource(max_entries=8, show_spinner=False)
def load_story_reach(project_guid: str, revision: int) -> tuple[dict[str, dict[str, int]], list]:
    """How far each case's stories get, and the cycles (keyed on the revision: a story change logs an event)."""
    from analysis.story_matrix import reach_profile
    from cases.projects import list_cases
    from coding.stories import story_cycles
    from coding.story_views import story_views

    with read_session(engine()) as s:
        project = get_project(s, project_guid)
        cycles = story_cycles(s, project)
        cases = [c.name for c in list_cases(s, project)]
        return reach_profile(story_views(s, project, cycles=cycles), cycles, cases), cycles


@st.cache_resource(max_entries=16, show_spinner=False)
def load_story_views(project_guid: str, revision: int, case_id: int) -> list:
    """A case's stories with their steps' quotes and checks, as the Stories page shows them."""
    from coding.stories import story_cycles
    from coding.story_views import story_views
    from store.models import Case

    with read_session(engine()) as s:
        project = get_project(s, project_guid)
        return story_views(s, project, case=s.get(Case, case_id), cycles=story_cycles(s, project))


@st.cache_resource(max_entries=8, show_spinner=False)
def load_story_walk(project_guid: str, revision: int, cases: tuple[str, ...] | None, own: str | None,
                    show_names: bool, language: str) -> tuple[list, object]:
    """The presentation's story walk (anonymised unless names are shown) and what hides the other networks."""
    from focusgroups.story_walk import walk_stories

    with read_session(engine()) as s:
        return walk_stories(s, get_project(s, project_guid), cases=list(cases) if cases is not None else None,
                            own=own, show_names=show_names, language=language)


@st.cache_resource(max_entries=8, show_spinner=False)
def load_learning(project_guid: str, revision: int, levels: str, cycles: str, case: str | None,
                  unit: str) -> Cooccurrence:
    with read_session(engine()) as s:
        return learning_by_value_cycle(s, get_project(s, project_guid), levels=levels, cycles=cycles, case=case,
                                       unit=unit)


@st.cache_resource(max_entries=8, show_spinner=False)
def load_presentation(project_guid: str, revision: int, codebook: str, depth: int, mode: str,
                      show_counts: bool, language: str, cases: tuple[str, ...] | None = None,
                      own_case: str | None = None) -> Presentation:
    with read_session(engine()) as s:
        return build_presentation(s, get_project(s, project_guid), codebook=codebook, depth=depth, mode=mode,
                                  show_counts=show_counts, language=language,
                                  cases=list(cases) if cases is not None else None, own_case=own_case)


@st.cache_resource(max_entries=8, show_spinner=False)
def load_agreement(project_guid: str, revision: int, coders: tuple[str, ...], unit: str, codebook: str,
                   codes: tuple[str, ...], documents: tuple[str, ...], categorical: bool):  # type: ignore[no-untyped-def]
    """An agreement report with its adjudication decisions: filtering its disagreements reruns the page, not this."""
    from analysis.adjudication import report_decisions
    from analysis.agreement import compute_agreement

    with read_session(engine()) as s:
        project = get_project(s, project_guid)
        report = compute_agreement(s, project, list(coders), unit=unit, codebook=codebook, code_keys=list(codes),
                                   document_refs=list(documents), categorical=categorical)
        return report, report_decisions(s, project, report)
