"""The Memos page under AppTest: the list and its filters, adding, editing and deleting through the forms
(read back from the database), memo text shown literally, and the Word download."""

from __future__ import annotations

import sys
from pathlib import Path
from io import BytesIO
from typing import Any

import pytest
from docx import Document as open_docx
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import app_test

sys.path.insert(0, str(Path(__file__).resolve().parent))

from apptest_support import make_app
from apptest_support import shown as said  # noqa: E402
from cases.documents import document_text  # noqa: E402
from cases.importer import SpeakerDecision, preview_import, store_import  # noqa: E402
from cases.projects import create_case, create_project, get_case, get_or_create_coder, get_project  # noqa: E402
from codebooks.service import adopt_codebook, find_code  # noqa: E402
from coding.codings import apply_coding  # noqa: E402
from coding.memos import add_memo, memo_views  # noqa: E402
from store.db import get_engine, read_session, write_session  # noqa: E402
from ui.state import md_escape  # noqa: E402

PAGE = "pages/memos.py"
INTERVIEW = "I: Wat levert het op?\nR: Vooral contacten in de regio.\n"
CASE_MEMO = "Grenzeloos: contacten centraal. <script>alert(1)</script> **niet vet**"


def one(widgets: Any, label: str, *, form: str | None = None) -> Any:
    found = [w for w in widgets if getattr(w, "label", None) == label
             and (form is None or getattr(w, "form_id", "") == form)]
    assert len(found) == 1, f"expected one widget labelled {label!r} (form {form!r}), found {len(found)}"
    return found[0]


def setup(url: str) -> str:
    """Project 'Studie' with cases Grenzeloos and Stedenband, one interview, and four memos."""
    with write_session(get_engine(url)) as s:
        project = create_project(s, "Studie")
        adopt_codebook(s, project, "value-creation")
        a = create_case(s, project, "Grenzeloos")
        create_case(s, project, "Stedenband")
        doc = store_import(s, project, preview_import("interview_a.txt", INTERVIEW.encode()), cases=[a],
                           speakers={"I": SpeakerDecision("interviewer"), "R": SpeakerDecision("respondent")})
        thomas, _ = get_or_create_coder(s, project, "Thomas")
        start = document_text(s, doc).index("Vooral contacten")
        segment = apply_coding(s, project, doc, thomas, start, start + len("Vooral contacten"), ["vc.immediate"])
        add_memo(s, project, "Projectafspraak.", author=thomas)
        add_memo(s, project, CASE_MEMO, target=a, author=thomas)
        add_memo(s, project, "Over de code.", target=find_code(s, project, "vc.applied"))
        add_memo(s, project, "Bij dit fragment.", target=segment, author=thomas)
        return str(project.guid)


def memos(url: str) -> list:  # type: ignore[type-arg]
    with read_session(get_engine(url)) as s:
        return memo_views(s, get_project(s, "Studie"))


def open_memos(monkeypatch: pytest.MonkeyPatch, url: str, guid: str):  # type: ignore[no-untyped-def]
    at = make_app(monkeypatch, url, project_guid=guid, coder="Sanne")
    at.run()
    assert not at.exception
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    return at


def shown(at, url: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The memo texts on the page (each is a Markdown element holding the escaped text)."""
    bodies = {md_escape(m.text): m.text for m in memos(url)}
    return [bodies[m.value] for m in at.markdown if m.value in bodies]


def target_id(url: str, kind: str, name: str) -> int:
    """The id the add-memo picker uses for a case (by name) or a code (by key)."""
    with read_session(get_engine(url)) as s:
        project = get_project(s, "Studie")
        return (get_case(s, project, name) if kind == "case" else find_code(s, project, name)).id


class KeptStorage(MemoryMediaFileStorage):
    """AppTest's in-memory media store, remembered so a test can read back what a download button serves."""

    last: KeptStorage | None = None

    def __init__(self, media_endpoint: str) -> None:
        super().__init__(media_endpoint)
        KeptStorage.last = self


def downloaded(button: Any) -> bytes:
    assert KeptStorage.last is not None
    return KeptStorage.last.get_file(button.proto.url.rsplit("/", 1)[-1]).content


def test_list_filters_and_download(monkeypatch, sqlite_url):
    monkeypatch.setattr(app_test, "MemoryMediaFileStorage", KeptStorage)
    guid = setup(sqlite_url)
    at = open_memos(monkeypatch, sqlite_url, guid)
    assert at.title[0].value == "Memos"
    assert shown(at, sqlite_url) == ["Projectafspraak.", CASE_MEMO, "Over de code.", "Bij dit fragment."]
    # untrusted text is escaped Markdown, never HTML
    case_memo = next(m for m in at.markdown if m.value == md_escape(CASE_MEMO))
    assert not case_memo.allow_html
    assert "\\<script\\>" in case_memo.value and "\\*\\*niet vet\\*\\*" in case_memo.value
    captions = [c.value for c in at.caption]
    assert any(c.startswith("segment\\: interview\\_a, ") and "Vooral contacten" in c for c in captions)
    download = one(at.download_button, "Download as Word")
    assert not download.proto.disabled
    paragraphs = [p.text for p in open_docx(BytesIO(downloaded(download))).paragraphs]
    assert paragraphs[:2] == ["Memos: Studie", "4 memos"]
    assert CASE_MEMO in paragraphs and "Bij dit fragment." in paragraphs

    one(at.selectbox, "Memos on").set_value("case")
    at.run()
    assert shown(at, sqlite_url) == [CASE_MEMO]
    one(at.selectbox, "Memos on").set_value(None)
    one(at.selectbox, "Case").set_value("Grenzeloos")
    at.run()
    assert shown(at, sqlite_url) == [CASE_MEMO, "Bij dit fragment."]
    one(at.selectbox, "Author").set_value("Thomas")
    at.run()
    assert shown(at, sqlite_url) == [CASE_MEMO, "Bij dit fragment."]
    word = downloaded(one(at.download_button, "Download as Word"))
    paragraphs = [p.text for p in open_docx(BytesIO(word)).paragraphs]
    assert paragraphs[1] == "2 memos · case: Grenzeloos, author: Thomas"
    one(at.selectbox, "Case").set_value(None)
    at.run()
    assert shown(at, sqlite_url) == ["Projectafspraak.", CASE_MEMO, "Bij dit fragment."]
    one(at.selectbox, "Memos on").set_value("code")
    at.run()
    assert shown(at, sqlite_url) == []
    assert "No memos match these filters." in [i.value for i in at.info]
    assert one(at.download_button, "Download as Word").proto.disabled


def test_add_edit_and_delete_through_the_forms(monkeypatch, sqlite_url):
    guid = setup(sqlite_url)
    at = open_memos(monkeypatch, sqlite_url, guid)

    # add on a case
    one(at.radio, "On").set_value("case")
    at.run()
    one(at.selectbox, "Case", form="add_memo").set_value(target_id(sqlite_url, "case", "Stedenband"))
    one(at.text_area, "New memo").input("  Stedenband: eerste indruk.  ")
    one(at.button, "Add memo").click()
    at.run()
    assert not at.exception
    added = [m for m in memos(sqlite_url) if m.text == "Stedenband: eerste indruk."]
    assert len(added) == 1
    assert (added[0].target, added[0].target_name, added[0].author) == ("case", "Stedenband", "Sanne")
    assert "Memo added." in said(at.success)
    assert "Stedenband: eerste indruk." in shown(at, sqlite_url)
    assert "↶ Undo: writing the memo “Stedenband: eerste indruk.”" in said(at.caption)
    at.button(key="memo_undo").click().run()
    assert said(at.success) == ["Undone: writing the memo “Stedenband: eerste indruk.”."]
    assert "Stedenband: eerste indruk." not in shown(at, sqlite_url)
    at.button(key="memo_redo").click().run()
    assert [m.text for m in memos(sqlite_url) if m.guid == added[0].guid] == ["Stedenband: eerste indruk."]

    # add on the project and on a code
    one(at.radio, "On").set_value("project")
    at.run()
    one(at.text_area, "New memo").input("Over het hele project.")
    one(at.button, "Add memo").click()
    at.run()
    one(at.radio, "On").set_value("code")
    at.run()
    one(at.selectbox, "Code", form="add_memo").set_value(target_id(sqlite_url, "code", "vc.realised"))
    one(at.text_area, "New memo").input("Realised: effect zichtbaar.")
    one(at.button, "Add memo").click()
    at.run()
    assert not at.exception
    by_text = {m.text: m for m in memos(sqlite_url)}
    assert by_text["Over het hele project."].target == "project"
    assert by_text["Realised: effect zichtbaar."].target_name == "vc.realised — Realised value"

    # an empty memo is refused and nothing is stored
    one(at.text_area, "New memo").input("   ")
    one(at.button, "Add memo").click()
    at.run()
    assert "a memo needs some text" in said(at.error)
    assert len(memos(sqlite_url)) == 7

    # edit
    memo_id = next(m.id for m in memos(sqlite_url) if m.text == CASE_MEMO)
    one(at.selectbox, "Memo").set_value(memo_id)
    at.run()
    assert one(at.text_area, "Memo text").value == CASE_MEMO
    one(at.text_area, "Memo text").input("Grenzeloos: herzien na het overleg.")
    one(at.button, "Save memo").click()
    at.run()
    assert not at.exception
    edited = next(m for m in memos(sqlite_url) if m.id == memo_id)
    assert edited.text == "Grenzeloos: herzien na het overleg."
    assert "Memo saved." in said(at.success)

    # delete: refused without the tick, done with it
    one(at.selectbox, "Memo").set_value(memo_id)
    one(at.button, "Delete memo").click()
    at.run()
    assert "Tick the box to confirm the deletion." in [w.value for w in at.warning]
    assert any(m.id == memo_id for m in memos(sqlite_url))
    one(at.checkbox, "Yes, delete this memo").check()
    one(at.button, "Delete memo").click()
    at.run()
    assert not at.exception
    assert not any(m.id == memo_id for m in memos(sqlite_url))
    assert "Memo deleted." in said(at.success)
    assert "Grenzeloos: herzien na het overleg." not in shown(at, sqlite_url)


def test_page_asks_for_a_project(monkeypatch, sqlite_url):
    with write_session(get_engine(sqlite_url)) as s:
        create_project(s, "Leeg")
    at = make_app(monkeypatch, sqlite_url)
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    assert any("Open or create a project" in i.value for i in at.info)
