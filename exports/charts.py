"""Plotly figures of matrices (for the Charts page and for reports) and their PNG images through kaleido.

Figures are built from derived matrices only. Images of one report are rendered in one browser session
(kaleido's sync server over Debian's Chromium); without a browser the caller gets the reason instead, so a
report still builds with a note in place of its images.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

import plotly.graph_objects as go

from analysis.cooccurrence import Cooccurrence
from analysis.framework_matrix import FrameworkMatrix, ProfileBand
from analysis.matrix import Matrix
from coding.stories import Cycle

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "chrome")
FONT = dict(family="DejaVu Sans, Arial, sans-serif", size=13)


def _layout(fig: go.Figure, title: str, height: int = 420) -> go.Figure:
    fig.update_layout(title=title, font=FONT, height=height, margin=dict(l=60, r=20, t=60, b=80),
                      legend=dict(orientation="h", y=-0.25), plot_bgcolor="white")
    return fig


def row_noun(matrix: Matrix) -> str:
    rows = matrix.spec.rows
    return rows.split(":", 1)[1] if rows.startswith("attribute:") else {"cases": "case", "documents": "document",
                                                                        "roles": "speaker role", "persons": "person",
                                                                        "coders": "coder"}.get(rows, rows)


def matrix_heatmap(matrix: Matrix, measure: str | None = None, title: str = "") -> go.Figure:
    """Heat map of a count-like measure; cells with a stored state show the state, not a colour for 0."""
    measure = measure or matrix.spec.measure
    if measure == "quotes":
        measure = "count"
    values = matrix.values(measure)
    z, text = [], []
    for i, row in enumerate(values):
        z.append([None if (matrix.counts[i][j] == 0 and matrix.states[i][j] in ("not_assessed", "no_data",
                                                                                  "not_applicable"))
                  else row[j] for j in range(len(row))])
        text.append([matrix.cell_text(i, j, measure) for j in range(len(row))])
    fig = go.Figure(go.Heatmap(z=z, x=[c.label for c in matrix.columns], y=[r.label for r in matrix.rows],
                               text=text, texttemplate="%{text}", colorscale="Blues", hoverongaps=False,
                               colorbar=dict(title=measure)))
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title or f"{matrix.codebook}: {measure} per {row_noun(matrix)}",
                   height=max(320, 60 + 36 * len(matrix.rows)))


def code_frequency_figure(matrix: Matrix, measure: str = "count", title: str = "") -> go.Figure:
    """Grouped bars: each code's frequency, one bar per row (case)."""
    values = matrix.values(measure)
    fig = go.Figure([go.Bar(name=row.label, x=[c.label for c in matrix.columns], y=values[i])
                     for i, row in enumerate(matrix.rows)])
    fig.update_layout(barmode="group")
    return _layout(fig, title or f"Code frequencies per {row_noun(matrix)} ({measure})")


def value_cycle_figure(framework: FrameworkMatrix, bands: list[ProfileBand], title: str = "") -> go.Figure:
    """Ordered stacked bars: per case, its coded segments per cycle from immediate to transformative."""
    m = framework.matrix
    band_of = {j: band.label for band in bands for j in band.columns}
    fig = go.Figure([go.Bar(name=f"{c.label} ({band_of.get(j, '')})", y=[r.label for r in m.rows],
                            x=[m.counts[i][j] for i in range(len(m.rows))], orientation="h",
                            marker_color=c.colour)
                     for j, c in enumerate(m.columns)])
    fig.update_layout(barmode="stack", legend_traceorder="normal")
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title or "Value-creation profile per case (coded segments, immediate → transformative)",
                   height=max(320, 120 + 50 * len(m.rows)))


def story_reach_figure(profile: dict[str, dict[str, int]], cycles: list[Cycle], title: str = "") -> go.Figure:
    """How far do stories get: per case, its stories stacked by the highest cycle each reaches."""
    shown = [c for c in cycles if any(c.key in row for row in profile.values())]
    fig = go.Figure([go.Bar(name=c.label, y=list(profile), x=[row.get(c.key, 0) for row in profile.values()],
                            orientation="h", marker_color=c.colour) for c in shown])
    fig.update_layout(barmode="stack", legend_traceorder="normal")
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title="value-creation stories", dtick=1)
    return _layout(fig, title or "How far do stories get: stories per case by the highest cycle they reach",
                   height=max(320, 120 + 50 * len(profile)))


def cooccurrence_figure(co: Cooccurrence, title: str = "") -> go.Figure:
    """Heat map of the c-coefficient with n12 in each cell."""
    z = co.coefficients()
    text = [["—" if co.n12[i][j] is None else f"{co.n12[i][j]} (c={z[i][j]:.2f})"
             for j in range(len(co.columns))] for i in range(len(co.rows))]
    fig = go.Figure(go.Heatmap(z=z, x=[c.label for c in co.columns], y=[c.label for c in co.rows], text=text,
                               texttemplate="%{text}", colorscale="Purples", zmin=0, hoverongaps=False,
                               zmax=max([v for row in z for v in row if v is not None] + [0.05]),
                               colorbar=dict(title="c")))
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title or "Code co-occurrence (c-coefficient)", height=max(320, 80 + 40 * len(co.rows)))


def attribute_comparison_figure(matrix: Matrix, title: str = "") -> go.Figure:
    """Per attribute group, the share of its coded segments per code (row %), so groups of unequal size compare."""
    values = matrix.values("row_pct")
    fig = go.Figure([go.Bar(name=row.label, x=[c.label for c in matrix.columns], y=values[i])
                     for i, row in enumerate(matrix.rows)])
    fig.update_layout(barmode="group", yaxis_title="% of the group's coded segments")
    return _layout(fig, title or f"{matrix.spec.rows.split(':')[-1]} groups compared")


# --- images ----------------------------------------------------------------------------------------

@dataclass
class Rendered:
    images: list[bytes] | None
    note: str = ""  # why there are no images


def find_browser() -> str | None:
    configured = os.environ.get("BROWSER_PATH")
    if configured and os.path.exists(configured):
        return configured
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def render_png(figures: list[go.Figure], *, width: int = 1000, scale: float = 1.5) -> Rendered:
    """PNG bytes for every figure, all in one browser session; or no images and the reason."""
    if not figures:
        return Rendered([])
    browser = find_browser()
    if browser is None:
        return Rendered(None, "Charts are not included: no Chromium browser was found on this machine "
                              "(install Debian's chromium, or set BROWSER_PATH).")
    import kaleido

    os.environ.setdefault("BROWSER_PATH", browser)
    images = []
    try:
        kaleido.start_sync_server(silence_warnings=True)
        for fig in figures:
            height = int(fig.layout.height or 420)
            images.append(kaleido.calc_fig_sync(fig, opts={"format": "png", "width": width, "height": height,
                                                           "scale": scale}))
    except Exception as exc:  # a browser that fails to start or crashes: the report goes on without images
        return Rendered(None, f"Charts are not included: the browser could not render them ({exc}).")
    finally:
        try:
            kaleido.stop_sync_server(silence_warnings=True)
        except Exception:  # noqa: BLE001 - nothing left to clean up
            pass
    return Rendered(images)
