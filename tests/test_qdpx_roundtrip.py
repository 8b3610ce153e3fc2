"""The demo project out to REFI-QDA, into a fresh database, and out again: nothing lost, nothing moved."""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from defusedxml import ElementTree as SafeET

from analysis.matrix import MatrixSpec, build_matrix
from analysis.matrix_scope import Scope
from cases.projects import get_project, list_projects
from codebooks.service import list_project_codebooks
from demo.load import DEMO_PROJECT, load_demo
from exports.qdpx import export_project_qdpx, validate_qde
from exports.qdpx_import import import_qdpx
from store.db import get_engine, read_session, write_session
from store.migrate import upgrade

NS = "{urn:QDA-XML:project:1.0}"


@pytest.fixture(scope="module")
def demo_export(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The demo, exported once from its own SQLite database (the source side of every round trip)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}"
    upgrade(url)
    engine = get_engine(url)
    load_demo(engine)
    with read_session(engine) as s:
        project = next(p for p in list_projects(s) if p.name == DEMO_PROJECT)
        data, _ = export_project_qdpx(s, project)
        matrices = _matrices(s, project)
    engine.dispose()
    return data, matrices  # type: ignore[return-value]


def _matrices(session, project) -> dict:  # type: ignore[no-untyped-def]
    """Every codebook's cases x codes counts, by names (as a researcher reads them), for every coder scope."""
    out = {}
    for book in list_project_codebooks(session, project):
        for coders in ("primary", "all"):
            matrix = build_matrix(session, project, MatrixSpec(rows="cases", codebook=book.key,
                                                               scope=Scope(coders=coders)))
            out[(book.key, coders)] = {(row.label, column.label): matrix.counts[i][j]
                                       for i, row in enumerate(matrix.rows) for j, column in enumerate(matrix.columns)}
    return out


def _parts(data: bytes) -> tuple:
    archive = zipfile.ZipFile(io.BytesIO(data))
    root = SafeET.fromstring(archive.read("project.qde"))
    counts = Counter(element.tag.replace(NS, "") for element in root.iter())
    guids = {(element.tag.replace(NS, ""), element.get("guid")) for element in root.iter() if element.get("guid")}
    texts = {}
    for source in root.iter(f"{NS}TextSource"):
        text = archive.read(f"sources/{source.get('guid')}.txt").decode("utf-8")
        for selection in source.iter(f"{NS}PlainTextSelection"):
            texts[selection.get("guid")] = text[int(selection.get("startPosition")):int(selection.get("endPosition"))]
    return counts, guids, texts, root


def test_demo_round_trip_is_exact(engine, demo_export) -> None:
    data, matrices = demo_export
    assert validate_qde(zipfile.ZipFile(io.BytesIO(data)).read("project.qde")) == []
    with write_session(engine) as s:
        project, report = import_qdpx(s, "demo.qdpx", data)
    assert report.skipped == [] and report.adjusted == [] and report.convention == "codepoints"
    with read_session(engine) as s:
        project = get_project(s, str(project.guid))
        again, _ = export_project_qdpx(s, project)
        assert _matrices(s, project) == matrices
    first, second = _parts(data), _parts(again)
    extra = {g for g in second[1] - first[1]}
    assert len(extra) == 1 and next(iter(extra))[0] == "Note"  # the import's own report, kept as a memo
    assert first[1] <= second[1]
    counts = first[0] + Counter({"Note": 1, "PlainTextContent": 1, "NoteRef": 1})
    assert second[0] == counts
    assert second[2] == first[2] and len(first[2]) > 300


def test_a_second_import_of_the_export_into_the_same_project_changes_nothing(engine, demo_export) -> None:
    data, _ = demo_export
    with write_session(engine) as s:
        project, _ = import_qdpx(s, "demo.qdpx", data)
    with write_session(engine) as s:
        project = get_project(s, str(project.guid))
        _, report = import_qdpx(s, "demo.qdpx", data, project=project)
    assert {k: v for k, v in report.imported.items() if k != "memos"} == {}
    assert report.unchanged["PlainTextSelection"] > 300


def test_the_export_is_written_where_the_cli_says(tmp_path: Path, engine, demo_export, db_url: str) -> None:
    from cli import main

    data, _ = demo_export
    source = tmp_path / "demo.qdpx"
    source.write_bytes(data)
    assert main(["--db", db_url, "qdpx-import", str(source)]) == 0
    out = tmp_path / "again.qdpx"
    assert main(["--db", db_url, "qdpx-export", "--project", DEMO_PROJECT, "--out", str(out)]) == 0
    assert _parts(out.read_bytes())[2] == _parts(data)[2]
