"""The Projects page's REFI-QDA import and export, run in the real app (AppTest)."""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

from sqlalchemy import func, select
from streamlit.testing.v1 import app_test

sys.path.insert(0, str(Path(__file__).resolve().parent))
from apptest_support import make_app, shown  # noqa: E402
from test_memos_page import KeptStorage, downloaded  # noqa: E402

from cases.projects import get_project, list_projects  # noqa: E402
from exports.qdpx import validate_qde  # noqa: E402
from store.db import get_engine, read_session  # noqa: E402
from store.models import Document, Project, Segment  # noqa: E402
from tests.refi_fixtures import archive_of, vendor_project  # noqa: E402


def _projects(url: str) -> list[str]:
    with read_session(get_engine(url)) as s:
        return [p.name for p in list_projects(s)]


def test_a_project_file_comes_in_as_a_new_project_and_goes_out_again(monkeypatch, sqlite_url) -> None:
    monkeypatch.setattr(app_test, "MemoryMediaFileStorage", KeptStorage)
    at = make_app(monkeypatch, sqlite_url, coder="Anna")
    at.run()
    assert not at.exception
    at.file_uploader(key="qdpx_upload").set_value(("NVivo export.qdpx", vendor_project(), "application/zip"))
    at.run()
    at.text_input(key="qdpx_name").input("Fieldlab *study*")
    at.button(key="qdpx_import").click().run()
    assert not at.exception, at.exception
    said = shown(at.success)[0]
    assert said.startswith("NVivo export.qdpx (NVivo 14): imported ") and "into project 'Fieldlab *study*'" in said
    assert "3 PlainTextSelection" in said
    assert any("became codebook 'nodes'" in n for n in shown(at.info))
    with read_session(get_engine(sqlite_url)) as s:
        project = get_project(s, "Fieldlab *study*")
        assert s.scalar(select(func.count()).select_from(Segment).join(Document).where(
            Document.project_id == project.id)) == 3
        guid = str(project.guid)
    at.run()  # the new project is open on the next run
    assert at.query_params["project"] in (guid, [guid])

    at.button(key="qdpx_prepare").click().run()
    assert not at.exception, at.exception
    button = next(b for b in at.get("download_button") if b.proto.label.startswith("Download Fieldlab_study.qdpx"))
    archive = zipfile.ZipFile(io.BytesIO(downloaded(button)))
    qde = archive.read("project.qde")
    assert validate_qde(qde) == [] and qde.count(b"<PlainTextSelection ") == 3


def test_a_hostile_file_is_refused_on_the_page_and_nothing_is_made(monkeypatch, sqlite_url) -> None:
    at = make_app(monkeypatch, sqlite_url, coder="Anna")
    at.run()
    before = _projects(sqlite_url)
    at.file_uploader(key="qdpx_upload").set_value(("evil.qdpx", archive_of({"../../evil.qde": b"<Project/>"}),
                                                   "application/zip"))
    at.run()
    at.button(key="qdpx_import").click().run()
    assert not at.exception, at.exception
    assert shown(at.error) == ["evil.qdpx: holds an entry with an unsafe path ('../../evil.qde'); refused"]
    assert _projects(sqlite_url) == before


def test_importing_into_the_open_project_adds_only_what_is_new(monkeypatch, sqlite_url) -> None:
    at = make_app(monkeypatch, sqlite_url, coder="Anna")
    at.run()
    at.file_uploader(key="qdpx_upload").set_value(("export.qdpx", vendor_project(), "application/zip"))
    at.run()
    at.button(key="qdpx_import").click().run()
    at.run()
    at.radio(key="qdpx_target").set_value("Into the open project").run()
    at.button(key="qdpx_import").click().run()
    assert not at.exception, at.exception
    assert shown(at.success)[0].startswith("export.qdpx (NVivo 14): imported nothing new; 0 item(s) left out")
    with read_session(get_engine(sqlite_url)) as s:
        assert s.scalar(select(func.count()).select_from(Project)) == 1
        assert s.scalar(select(func.count()).select_from(Segment)) == 3
