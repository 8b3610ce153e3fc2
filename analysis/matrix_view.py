"""What the Matrices, Charts and Framework pages show, as plain data: select options, frames, cell look-ups.

The pages stay thin: they read widgets, call these and the matrix engine, and draw the result. Nothing here
imports streamlit; frames are pandas DataFrames whose columns are code keys (unique, so a selected cell maps
back to exactly one column) with the readable labels kept beside them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis.cooccurrence import Cooccurrence
from analysis.framework_matrix import FrameworkCellView, FrameworkMatrix, ProfileBand
from analysis.matrix import Matrix, Quote
from analysis.matrix_scope import ALL, PRIMARY, Scope
from cases.projects import list_cases, list_coders
from codebooks.service import code_tree, list_project_codebooks
from coding.retrieval import RetrievedSegment, attribute_choices
from store.models import DOCUMENT_KINDS, SPEAKER_ROLES, Document, Project

ROW_LABELS = {"cases": "cases", "documents": "documents", "roles": "speaker roles", "persons": "persons",
              "coders": "coders"}
MEASURE_LABELS = {"count": "coded segments", "documents": "documents", "persons": "k of n interviewees",
                  "coverage": "coverage %", "presence": "presence (0/1)", "row_pct": "row %", "col_pct": "column %",
                  "quotes": "quotes"}
CODER_SCOPES = {PRIMARY: "each document's primary coder", ALL: "all coders pooled", "one": "one coder"}


@dataclass
class CodebookOption:
    key: str
    name: str
    max_depth: int  # deepest level below the codebook's own folder, 1 = top codes only


@dataclass
class MatrixOptions:
    rows: dict[str, str]  # rows value for MatrixSpec -> label
    codebooks: list[CodebookOption]
    coders: list[str]
    kinds: tuple[str, ...]
    roles: tuple[str, ...]
    attributes: list[str]  # case attribute names, for group comparisons
    cases: list[str]

    def codebook(self, key: str) -> CodebookOption | None:
        return next((c for c in self.codebooks if c.key == key), None)


def matrix_options(session: Session, project: Project) -> MatrixOptions:
    """Everything the matrix selects offer, read in a few queries."""
    attributes = attribute_choices(session, project)
    names: dict[str, list[str]] = {}
    for target, found in attributes.items():
        for name in found:
            names.setdefault(name, []).append(target)
    rows = dict(ROW_LABELS)
    for name, targets in sorted(names.items(), key=lambda kv: (kv[0].casefold(), kv[0])):
        for target in targets:
            spec = f"attribute:{name}" if len(targets) == 1 else f"attribute:{target}:{name}"
            rows[spec] = f"{target} attribute: {name}"
    codebooks = []
    for codebook in list_project_codebooks(session, project):
        tree = code_tree(codebook)
        roots = [r for r in tree if r.depth == 0]
        base = 1 if len(roots) == 1 and not roots[0].code.codable else 0
        deepest = max((r.depth - base for r in tree), default=0) + 1
        label = codebook.name_en or codebook.key
        prefix = codebook.prefix or codebook.key
        codebooks.append(CodebookOption(key=prefix, name=f"{label} ({prefix})", max_depth=max(deepest, 1)))
    coders = sorted((c.name for c in list_coders(session, project)), key=lambda n: (n.casefold(), n))
    kinds_in_use = set(session.scalars(select(Document.kind).where(Document.project_id == project.id).distinct()))
    return MatrixOptions(rows=rows, codebooks=codebooks, coders=coders,
                         kinds=tuple(k for k in DOCUMENT_KINDS if k in kinds_in_use), roles=SPEAKER_ROLES,
                         attributes=sorted(attributes.get("case", {}), key=lambda n: (n.casefold(), n)),
                         cases=[c.name for c in list_cases(session, project)])


def make_scope(coders: str, coder: str | None = None, kinds: list[str] | tuple[str, ...] = (),
               roles: list[str] | tuple[str, ...] = ()) -> Scope:
    """A scope from the page's choices: "primary", "all", or "one" with the coder's name."""
    who: str | tuple[str, ...] = (coder,) if coders == "one" and coder else (ALL if coders == ALL else PRIMARY)
    return Scope(coders=who, kinds=tuple(kinds), roles=tuple(roles))


# --- frames ----------------------------------------------------------------------------------------

def matrix_frame(matrix: Matrix, measure: str | None = None) -> pd.DataFrame:
    """The table a reader sees (Matrix.cell_text), columns named by code key, rows by label."""
    frame = matrix.to_frame(measure)
    frame.columns = matrix.column_keys()
    frame.index.name = matrix.spec.rows.split(":")[-1]
    return frame


HEAT_RGB = (31, 119, 180)  # the heat map's blue


def heat_styles(matrix: Matrix, frame: pd.DataFrame, measure: str | None = None) -> pd.DataFrame:
    """CSS for `frame` (matrix_frame's table) that shades each number like the heat map does (darker = more), so
    the table reads as one. Zeros stay plain, and so do the cells that show a state word (nothing is coded
    there, so every measure is 0) or quotes (lists, not numbers)."""
    values = matrix.values(measure or matrix.spec.measure)
    numbers = [[v if isinstance(v, (int, float)) and not isinstance(v, bool) else 0 for v in row] for row in values]
    top = max((v for row in numbers for v in row), default=0) or 1
    r, g, b = HEAT_RGB
    css = [[f"background-color: rgba({r}, {g}, {b}, {0.08 + 0.42 * v / top:.2f})" if v > 0 else "" for v in row]
           for row in numbers]
    return pd.DataFrame(css, index=frame.index, columns=frame.columns)


def column_labels(matrix: Matrix) -> dict[str, str]:
    return {c.key: c.label for c in matrix.columns}


def selected_cell(matrix: Matrix, selection: Any) -> tuple[int, int] | None:
    """(row, column) of a single-cell dataframe selection, or None (nothing chosen, or a stale column)."""
    cells = _cells(selection)
    if not cells:
        return None
    i, key = cells[0][0], cells[0][1]
    keys = matrix.column_keys()
    if not isinstance(i, int) or not 0 <= i < len(matrix.rows) or key not in keys:
        return None
    return i, keys.index(key)


def _cells(selection: Any) -> list:
    if selection is None:
        return []
    inner = selection.get("selection") if isinstance(selection, dict) else getattr(selection, "selection", None)
    if inner is None:
        return []
    cells = inner.get("cells") if isinstance(inner, dict) else getattr(inner, "cells", None)
    return list(cells or [])


def cooccurrence_frame(co: Cooccurrence) -> pd.DataFrame:
    """n12 and c per pair ("3 · c=0.25", or "0"), "⚠" where the two codes' frequencies differ more than 5x,
    "—" on the diagonal."""
    data = []
    for i in range(len(co.rows)):
        line = []
        for j in range(len(co.columns)):
            n12 = co.n12[i][j]
            if n12 is None:
                line.append("—")
                continue
            text = f"{n12} · c={co.c(i, j):.2f}" if n12 else "0"  # zeros stay quiet
            if co.frequency_gap(i, j):
                text += " ⚠"
            line.append(text)
        data.append(line)
    frame = pd.DataFrame(data, index=[f"{c.label} (n={co.n_rows[i]})" for i, c in enumerate(co.rows)],
                         columns=[f"{c.label} (n={co.n_columns[j]})" for j, c in enumerate(co.columns)])
    return frame


def framework_frame(framework: FrameworkMatrix, *, counts: bool = True, summaries: bool = True) -> pd.DataFrame:
    """One line per cell (state or rating, summary, quotes, k of n, validation, warnings); without summaries
    the grid stays readable at a glance (the chosen cell shows its summary in full)."""
    m = framework.matrix
    data = [[(cell if summaries else replace(cell, summary="")).line(counts=counts) for cell in row]
            for row in framework.cells]
    frame = pd.DataFrame(data, index=[r.label for r in m.rows], columns=m.column_keys())
    frame.index.name = "case"
    return frame


def profile_frame(framework: FrameworkMatrix, bands: list[ProfileBand]) -> pd.DataFrame:
    """Cases x cycles in ladder order; each header names its horizon band; cells as Matrix.cell_text shows them."""
    m = framework.matrix
    band_of = {j: band.label for band in bands for j in band.columns}
    data = [[m.cell_text(i, j, "count") for j in range(len(m.columns))] for i in range(len(m.rows))]
    frame = pd.DataFrame(data, index=[r.label for r in m.rows],
                         columns=[f"{band_of.get(j, '')} · {c.label}" for j, c in enumerate(m.columns)])
    frame.index.name = "case"
    return frame


def quote_heading(seg: RetrievedSegment | Quote) -> str:
    """Where a quote comes from: document · turn · speaker role (pseudonym) · coder; a paragraph without a
    speaker (a PDF's) names no speaker: "plan · p. 3 · ¶5 · coded by Tom" (plain text: escape it)."""
    who = "" if seg.speaker is None else " · " + seg.role + (f" ({seg.pseudonym})" if seg.pseudonym else "")
    return f"{seg.citation()}{who} · coded by {seg.coder}"


def spec_signature(*parts: Any) -> str:
    """A short stable hash of the matrix choices, for widget keys (a stale selection never carries over)."""
    import hashlib

    return hashlib.sha1(repr(parts).encode("utf-8")).hexdigest()[:10]


def cell_changes(current: FrameworkCellView, state: str, rating: int | None, summary: str,
                 validation: str) -> dict[str, Any]:
    """Keyword arguments for analysis.framework_matrix.save_cell from the editor's choices: only what changed.

    A rating with the state left as it was makes the cell assessed (save_cell does that); a rating together
    with a state changed to anything but "assessed" is passed on, so save_cell refuses it with its own message.
    Removing the rating of a rated cell clears it.
    """
    changes: dict[str, Any] = {}
    if state != (current.state or "not_assessed"):
        changes["state"] = state
    if rating is not None and rating != current.rating:
        changes["rating"] = rating
    if rating is None and current.rating is not None:
        changes["clear_rating"] = True
    if summary.strip() != current.summary:
        changes["summary"] = summary
    if validation != (current.validation or "proposed"):
        changes["validation"] = validation
    return changes
