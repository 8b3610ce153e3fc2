"""Value-creation stories through REFI-QDA (issue 19): each story a Note that its steps' selections refer to and its
case's Set holds; a Kruispunt import of the export restores the stories with their steps, notes and person; a
story that cannot be read back stays as memos, said in the report."""

from __future__ import annotations

import io
import zipfile

from defusedxml import ElementTree as SafeET

from cases.projects import get_project
from coding.story_views import story_views
from exports.qdpx import export_project_qdpx, validate_qde
from exports.qdpx_import import import_qdpx
from exports.qdpx_stories import NOTE_NAME
from store.db import read_session, write_session
from store.models import Memo
from tests.test_stories import TURNS, build, write_story

NS = "{urn:QDA-XML:project:1.0}"


def exported(engine) -> tuple[bytes, dict[str, str]]:  # type: ignore[no-untyped-def]
    guids = build(engine)
    write_story(engine, guids, ["fieldlab", "contact", "pilot"])
    with write_session(engine) as s:
        from cases.projects import get_person
        from coding.stories import edit_story, get_story

        project = get_project(s, "Verhalen")
        edit_story(s, project, get_story(s, project, "Petra"), person=get_person(s, project, "Hoekstra"),
                   actor="Anna")
    with read_session(engine) as s:
        data, _ = export_project_qdpx(s, get_project(s, "Verhalen"))
    return data, guids


def test_a_story_is_a_note_its_selections_refer_to(engine):
    data, guids = exported(engine)
    qde = zipfile.ZipFile(io.BytesIO(data)).read("project.qde")
    assert validate_qde(qde) == []
    root = SafeET.fromstring(qde)
    (note,) = [n for n in root.iter(f"{NS}Note") if n.get("name", "").startswith(NOTE_NAME)]
    text = note.find(f"{NS}PlainTextContent").text
    assert note.get("name") == f"{NOTE_NAME}Petra"
    assert text.splitlines()[:3] == ["Case: Grenzeloos", "Person: Hoekstra", "Written by: Anna"]
    assert f"1. vc.immediate (Immediate value), selection {guids['fieldlab']}: “{TURNS['fieldlab']}”" in text
    assert "   Note: na contact" in text
    referring = {s.get("guid") for s in root.iter(f"{NS}PlainTextSelection")
                 if any(r.get("targetGUID") == note.get("guid") for r in s.iter(f"{NS}NoteRef"))}
    assert referring == {guids["fieldlab"], guids["contact"], guids["pilot"]}
    held = [m.get("targetGUID") for s in root.iter(f"{NS}Set") for m in s.iter(f"{NS}MemberNote")]
    assert note.get("guid") in held


def test_a_kruispunt_import_restores_the_story(engine):
    data, _ = exported(engine)
    with write_session(engine) as s:
        project, report = import_qdpx(s, "verhalen.qdpx", data, new_name="Verhalen 2")
        assert report.imported["stories"] == 1 and report.adjusted == []
    with read_session(engine) as s:
        project = get_project(s, "Verhalen 2")
        (view,) = story_views(s, project)
        memos = [m.text for m in s.query(Memo).where(Memo.project_id == project.id)]
    assert (view.title, view.case, view.person, view.author) == ("Petra", "Grenzeloos", "Hoekstra", "Anna")
    assert [(st.cycle, st.text, st.note) for st in view.steps] == [
        ("vc.immediate", TURNS["fieldlab"], "na fieldlab"), ("vc.potential", TURNS["contact"], "na contact"),
        ("vc.applied", TURNS["pilot"], "na pilot")]
    assert not any(NOTE_NAME in m or "Written by: Anna" in m for m in memos)  # not doubled as memos
    with write_session(engine) as s:
        _, again = import_qdpx(s, "verhalen.qdpx", data, project=get_project(s, "Verhalen 2"))
    assert again.unchanged["stories"] == 1 and "stories" not in again.imported


def test_a_story_that_cannot_be_read_back_stays_as_memos(engine):
    data, guids = exported(engine)
    archive = zipfile.ZipFile(io.BytesIO(data))
    qde = archive.read("project.qde").decode().replace(f"selection {guids['contact']}",
                                                       "selection 00000000-0000-4000-8000-000000000000")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as changed:
        for item in archive.namelist():
            changed.writestr(item, qde if item == "project.qde" else archive.read(item))
    with write_session(engine) as s:
        project, report = import_qdpx(s, "verhalen.qdpx", out.getvalue(), new_name="Verhalen 3")
    assert any("a value-creation story that could not be restored (its selection 00000000-0000-4000-8000-"
               "000000000000 was not imported); kept as memos" in line for line in report.as_text().splitlines())
    with read_session(engine) as s:
        project = get_project(s, "Verhalen 3")
        assert story_views(s, project) == []
        memos = [m for m in s.query(Memo).where(Memo.project_id == project.id) if "Written by: Anna" in m.text]
    # one on each selection the note was attached to and one on the case: nothing of the story is lost
    assert sorted(m.target for m in memos) == ["case", "segment", "segment", "segment"]
