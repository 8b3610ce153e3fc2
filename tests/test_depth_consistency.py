"""The same code reads the same number on Matrices, Charts and the Framework matrix: one default depth (1: each
top code counts the distinct segments of its whole subtree) shown on every page, and a code shown beside its own
sub-codes says that it counts only its direct codings.

In the matrix study Noord has three primary segments under Potential value (two in N1, one in N2), none
coded with vc.potential itself.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from apptest_support import make_app  # noqa: E402
from matrix_fixture import build_study  # noqa: E402

from analysis.matrix import DIRECT_ONLY, MatrixSpec, build_matrix  # noqa: E402
from cases.projects import get_project  # noqa: E402
from store.db import get_engine, read_session  # noqa: E402


@pytest.fixture
def study(sqlite_url):  # type: ignore[no-untyped-def]
    return sqlite_url, build_study(get_engine(sqlite_url)).guid


def _page(monkeypatch, url: str, guid: str, page: str):  # type: ignore[no-untyped-def]
    at = make_app(monkeypatch, url, project_guid=guid)
    at.run()
    at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_three_pages_default_to_depth_one_and_agree(monkeypatch, study) -> None:  # type: ignore[no-untyped-def]
    url, guid = study
    matrices = _page(monkeypatch, url, guid, "matrices")
    charts = _page(monkeypatch, url, guid, "charts")
    framework = _page(monkeypatch, url, guid, "framework")
    for at, key in ((matrices, "matrix_depth"), (charts, "freq_depth"), (framework, "fw_depth")):
        depth = at.selectbox(key=key)
        assert (depth.value, depth.format_func(depth.value)) == (1, "depth 1 (top codes)"), key

    grid = next(d for d in matrices.dataframe if (d.key or "").startswith("matrix_table")).value
    on_matrices = int(str(grid.loc["Noord", "vc.potential"]).split()[0])
    figure = json.loads(charts.get("plotly_chart")[0].proto.spec)
    noord = next(trace for trace in figure["data"] if trace["name"] == "Noord")
    on_charts = dict(zip(noord["x"], noord["y"]))["Potential value"]
    assert on_matrices == on_charts == 3  # N1: two segments, N2: one, rolled up under Potential value


def test_a_parent_beside_its_sub_codes_says_it_counts_direct_codings_only(study) -> None:  # type: ignore[no-untyped-def]
    url, guid = study
    with read_session(get_engine(url)) as s:
        project = get_project(s, guid)
        every = build_matrix(s, project, MatrixSpec(rows="cases", codebook="vc"))
        top = build_matrix(s, project, MatrixSpec(rows="cases", codebook="vc", depth=1))
    labels = {c.key: c.label for c in every.columns}
    assert labels["vc.potential"] == f"Potential value {DIRECT_ONLY}"
    assert labels["vc.potential.human"] == "Human capital"  # a leaf is what it says
    assert {c.key: c.label for c in top.columns}["vc.potential"] == "Potential value"  # rolled up: its subtree
