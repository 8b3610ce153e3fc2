"""The Charts page under AppTest (SQLite): each chart carries the engine's numbers for the study in
tests/matrix_fixture.py (code frequencies per case, the ordered value-cycle profile, co-occurrence, groups)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from apptest_support import make_app  # noqa: E402
from matrix_fixture import build_study  # noqa: E402

from analysis.cooccurrence import CooccurrenceSpec, build_cooccurrence  # noqa: E402
from analysis.matrix import MatrixSpec, build_matrix  # noqa: E402
from analysis.matrix_scope import Scope  # noqa: E402
from cases.projects import get_project  # noqa: E402
from store.db import get_engine, read_session  # noqa: E402


@pytest.fixture
def study(sqlite_url):  # type: ignore[no-untyped-def]
    built = build_study(get_engine(sqlite_url))
    return sqlite_url, built.guid


def open_charts(monkeypatch, url: str, guid: str):  # type: ignore[no-untyped-def]
    at = make_app(monkeypatch, url, project_guid=guid, coder="Sanne")
    at.run()
    at.switch_page("pages/charts.py")
    at.run()
    assert not at.exception, at.exception
    return at


def figures(at) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    """Each plotly chart's figure by its title."""
    out = {}
    for element in at.get("plotly_chart"):
        figure = json.loads(element.proto.spec)
        out[figure["layout"]["title"]["text"]] = figure
    return out


def test_every_chart_carries_the_engines_numbers(monkeypatch, study):
    url, guid = study
    at = open_charts(monkeypatch, url, guid)
    charts = figures(at)
    assert set(charts) == {"Code frequencies per case (count)",
                           "Value-creation profile per case (coded segments, immediate → transformative)",
                           "Code co-occurrence (c-coefficient)", "land groups compared"}
    with read_session(get_engine(url)) as s:
        project = get_project(s, guid)
        top = build_matrix(s, project, MatrixSpec(rows="cases", codebook="vc", depth=1))
        groups = build_matrix(s, project, MatrixSpec(rows="attribute:land", codebook="vc", depth=1))
        co = build_cooccurrence(s, project, CooccurrenceSpec(codebook="vc", codebook2="vc", depth=1, depth2=1))

    # Code frequencies: one bar series per case over the top codes.
    bars = {trace["name"]: trace["y"] for trace in charts["Code frequencies per case (count)"]["data"]}
    assert bars == {row.label: top.counts[i] for i, row in enumerate(top.rows)}
    potential = top.column_keys().index("vc.potential")
    assert bars["Noord"][potential] == 3  # by hand: human (2 segments) + the social/tangible segment

    # Value-cycle profile: stacked, cycles in ladder order, each named with its horizon band.
    profile = charts["Value-creation profile per case (coded segments, immediate → transformative)"]
    assert profile["layout"]["barmode"] == "stack"
    assert [t["name"] for t in profile["data"]] == [
        "Expected value (opt.) (before)", "Immediate value (short term)", "Potential value (medium term)",
        "Applied value (medium term)", "Realised value (medium term)", "Transformative value (long term)"]
    realised = next(t for t in profile["data"] if t["name"].startswith("Realised"))
    assert dict(zip(realised["y"], realised["x"])) == {"Leeg": 0, "Noord": 0, "Zuid": 1}

    # Co-occurrence: the c-coefficient as the heat, the note under it.
    heat = charts["Code co-occurrence (c-coefficient)"]["data"][0]
    assert heat["z"] == co.coefficients()
    assert any("Co\\-occurrence by overlapping segments" in c.value for c in at.caption)

    # Attribute groups: each group's share of its coded segments per code.
    shares = {t["name"]: t["y"] for t in charts["land groups compared"]["data"]}
    assert shares == {row.label: groups.values("row_pct")[i] for i, row in enumerate(groups.rows)}
    assert shares["DE"][groups.column_keys().index("vc.realised")] == 100.0


def test_choices_change_the_charts(monkeypatch, study):
    url, guid = study
    at = open_charts(monkeypatch, url, guid)
    at.selectbox(key="freq_depth").set_value(0)  # every codable code
    at.selectbox(key="charts_coders").set_value("all")  # Tom's double coding of N1 joins
    at.run()
    assert not at.exception, at.exception
    bars = {t["name"]: t["y"] for t in figures(at)["Code frequencies per case (count)"]["data"]}
    with read_session(get_engine(url)) as s:
        pooled = build_matrix(s, get_project(s, guid), MatrixSpec(rows="cases", codebook="vc",
                                                                  scope=Scope(coders="all")))
    human = pooled.column_keys().index("vc.potential.human")
    assert bars["Noord"][human] == 3
    assert bars == {row.label: pooled.counts[i] for i, row in enumerate(pooled.rows)}
