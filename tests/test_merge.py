"""Merging two cases of the demo, on both databases: conflicts are shown and must be resolved, every count adds
up afterwards, and each move is logged."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

import cli
from analysis.matrix import MatrixSpec, build_matrix
from analysis.matrix_scope import ALL, Scope
from cases.merge import merge_cases, merge_plan
from cases.projects import get_case, get_project, list_cases, list_persons
from demo.load import DEMO_PROJECT, load_demo
from focusgroups.feedback import list_feedback, record_feedback
from focusgroups.sessions import create_session
from store.db import read_session, write_session
from store.errors import Refused
from store.models import Base, Event, FrameworkCell


@pytest.fixture
def demo(engine):  # type: ignore[no-untyped-def]
    load_demo(engine)
    with write_session(engine) as s:
        project = get_project(s, DEMO_PROJECT)
        first, second = [c.name for c in list_cases(s, project)][:2]
        fg = create_session(s, project, "FG2", date(2026, 11, 20))
        record_feedback(s, project, fg, stance="agree", code="vc.immediate", case=first, participant_role="lid")
    return first, second


def _rows(engine) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        return {t.name: s.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


def _counts(engine) -> dict[str, list]:  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        matrix = build_matrix(s, get_project(s, DEMO_PROJECT),
                              MatrixSpec(rows="cases", codebook="value-creation", depth=1, scope=Scope(coders=ALL)))
        return {row.label: matrix.as_json("count")["values"][i] for i, row in enumerate(matrix.rows)}


def test_conflicts_must_be_resolved_and_then_everything_adds_up(engine, demo) -> None:  # type: ignore[no-untyped-def]
    source, target = demo
    before = _counts(engine)
    with read_session(engine) as s:
        project = get_project(s, DEMO_PROJECT)
        plan = merge_plan(s, project, get_case(s, project, source), get_case(s, project, target))
        persons = sum(1 for p in list_persons(s, project) if p.case_id is not None)
    keys = [c.key for c in plan.conflicts]
    assert "attribute:country" in keys and any(k.startswith("cell:") for k in keys)
    rows = _rows(engine)
    with pytest.raises(Refused, match=f"{len(keys)} conflict\\(s\\) to resolve first: "), write_session(engine) as s:
        project = get_project(s, DEMO_PROJECT)
        merge_cases(s, project, get_case(s, project, source), get_case(s, project, target), actor="Sanne")
    assert _rows(engine) == rows  # refused whole
    keep = {k: ("from" if k.startswith("cell:") else "into") for k in keys}
    with read_session(engine) as s:
        project = get_project(s, DEMO_PROJECT)
        source_cells = {c.code_id: c.summary for c in s.scalars(select(FrameworkCell).where(
            FrameworkCell.case_id == get_case(s, project, source).id))}
        last_event = s.scalar(select(func.max(Event.id)))
    with write_session(engine) as s:
        project = get_project(s, DEMO_PROJECT)
        merge_cases(s, project, get_case(s, project, source), get_case(s, project, target), keep=keep, actor="Sanne")
    after = _counts(engine)
    assert source not in after
    assert after[target] == [a + b for a, b in zip(before[source], before[target])]
    with read_session(engine) as s:
        project = get_project(s, DEMO_PROJECT)
        merged = get_case(s, project, target)
        cells = {c.code_id: c.summary for c in s.scalars(select(FrameworkCell).where(
            FrameworkCell.case_id == merged.id))}
        assert all(cells[code] == summary for code, summary in source_cells.items())  # 'from' kept for every cell
        assert [f.case for f in list_feedback(s, project)] == [target]
        assert sum(1 for p in list_persons(s, project) if p.case_id is not None) == persons
        actions = [(e.action, e.entity) for e in s.scalars(select(Event).where(Event.id > last_event))]
    assert actions[-1] == ("merge", "case")
    assert ("move", "feedback") in actions and ("link", "document") in actions and ("unlink", "document") in actions


def test_case_merge_on_the_command_line(capsys, db_url, engine, demo) -> None:  # type: ignore[no-untyped-def]
    source, target = demo

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = cli.main(["--db", db_url, *args])
        out, err = capsys.readouterr()
        return code, out.strip(), err.strip()

    code, dry, _ = run("case-merge", "--project", DEMO_PROJECT, source, target, "--dry-run")
    assert code == 0 and dry.splitlines()[0] == f"would merge case '{source}' into '{target}':"
    conflicts = [line.split()[1].rstrip(":") for line in dry.splitlines() if line.startswith("  conflict ")]
    assert "attribute:country" in conflicts
    code, _, err = run("case-merge", "--project", DEMO_PROJECT, source, target)
    assert code == 1 and err.startswith(f"error: {len(conflicts)} conflict(s) to resolve first")
    keeps = [arg for key in conflicts for arg in ("--keep", f"{key}=into")]
    code, out, _ = run("case-merge", "--project", DEMO_PROJECT, source, target, *keeps)
    assert code == 0 and out.splitlines()[0] == f"merged case '{source}' into '{target}':"
    assert all(line.endswith("-> kept into") for line in out.splitlines() if line.startswith("  conflict "))
    import json

    listed = {c["name"]: c["documents"] for c in json.loads(run("cases", "--project", DEMO_PROJECT, "--format",
                                                                 "json")[1])}
    assert source not in listed and len(listed) == 2 and target in listed


def test_merging_in_the_app_waits_for_every_conflict(monkeypatch, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    from apptest_support import make_app
    from store.db import get_engine

    engine = get_engine(sqlite_url)
    load_demo(engine)
    with read_session(engine) as s:
        project = get_project(s, DEMO_PROJECT)
        source, target = [c.name for c in list_cases(s, project)][:2]
        guid = str(project.guid)
    at = make_app(monkeypatch, sqlite_url, project_guid=guid, coder="Sanne")
    at.run()
    at.switch_page("pages/cases.py").run()
    at.selectbox(key="rename_case_pick").select(source).run()
    at.selectbox(key=f"merge_{source}_into").select(target).run()
    assert not any(r.key.startswith(f"merge_{source}_{target}_") for r in at.radio)  # nothing planned unasked
    at.toggle(key=f"merge_{source}_open").set_value(True).run()
    assert not at.exception
    radios = [r for r in at.radio if r.key.startswith(f"merge_{source}_{target}_")]
    assert radios and at.button(key=f"merge_{source}_go").disabled
    for radio in radios:
        radio.set_value("into")
    at.run()
    assert not at.button(key=f"merge_{source}_go").disabled
    at.button(key=f"merge_{source}_go").click()
    at.run()
    assert not at.exception
    assert [m.value.replace("\\", "") for m in at.success] == [f"Merged case '{source}' into '{target}'."]
    with read_session(engine) as s:
        assert [c.name for c in list_cases(s, get_project(s, guid))].count(source) == 0
