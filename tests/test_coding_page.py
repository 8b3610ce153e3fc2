"""The Coding page under AppTest: the component's selection is injected through session state."""

from __future__ import annotations

import json

import pytest

from apptest_support import make_app, shown
from cases.importer import SpeakerDecision, preview_import, store_import
from cases.projects import create_project, get_document, get_or_create_coder, get_project
from codebooks.service import adopt_codebook
from coding.codings import apply_coding, list_codings
from coding.offsets import codepoint_to_utf16
from store.db import get_engine, read_session, write_session
from ui.state import md_escape

TEXT = ("I: Wat leverde het op? 😀\n"
        "R: Ik kreeg een tip van Jörg. Die heb ik meteen gebruikt, en dat scheelde ons weken.\n")


@pytest.fixture
def opened(monkeypatch, sqlite_url):  # type: ignore[no-untyped-def]
    with write_session(get_engine(sqlite_url)) as s:
        project = create_project(s, "Codeerproject")
        adopt_codebook(s, project, "value-creation")
        document = store_import(s, project, preview_import("gesprek.txt", TEXT.encode()), cases=[], speakers={
            "I": SpeakerDecision("interviewer"), "R": SpeakerDecision("respondent")})
        ids = str(project.guid), str(document.guid)
    at = make_app(monkeypatch, sqlite_url, project_guid=ids[0], coder="Sanne")
    at.query_params["document"] = ids[1]
    at.run()
    at.switch_page("pages/coding.py").run()
    assert not at.exception
    return at, ids, sqlite_url


def _select(at, ids, payload) -> None:  # type: ignore[no-untyped-def]
    at.session_state[f"transcript_{ids[1]}"] = {"selection": payload}
    at.run()
    assert not at.exception


def _respondent_offsets(phrase: str) -> tuple[int, int]:
    content = TEXT[TEXT.index("R: ") + 3:].rstrip("\n")
    at = content.index(phrase)
    return codepoint_to_utf16(content, at), codepoint_to_utf16(content, at + len(phrase))


def _stored(url, ids):  # type: ignore[no-untyped-def]
    with read_session(get_engine(url)) as s:
        return [(c.code, c.coder, c.text) for c in list_codings(s, get_project(s, ids[0]))]


def test_select_snap_pick_and_apply(opened) -> None:  # type: ignore[no-untyped-def]
    at, ids, url = opened
    s16, e16 = _respondent_offsets("ip van Jör")  # cuts two words: snapping widens to "tip van Jörg"
    _select(at, ids, {"id": "sel-1", "turn": 1, "start16": s16, "end16": e16, "text": "ip van Jör"})
    assert any("tip van Jörg" in m.value for m in at.markdown)
    at.text_input(key="code_filter").input("onmiddellijke")  # Dutch label finds the code
    at.run()
    assert at.multiselect(key="codes_to_apply").options[0].endswith("vc.immediate")
    at.multiselect(key="codes_to_apply").select("vc.immediate")
    at.run()
    at.button(key="apply_codes").click()
    at.run()
    assert not at.exception
    assert _stored(url, ids) == [("vc.immediate", "Sanne", "tip van Jörg")]
    # the same selection id again (a rerun) applies nothing
    _select(at, ids, {"id": "sel-1", "turn": 1, "start16": s16, "end16": e16})
    assert not any(m.value.startswith("**Selected**") for m in at.markdown)
    assert len(_stored(url, ids)) == 1


def test_code_a_whole_turn_and_a_sentence(opened) -> None:  # type: ignore[no-untyped-def]
    at, ids, url = opened
    _select(at, ids, {"id": "turn-1", "turn": 1, "action": "turn"})
    at.multiselect(key="codes_to_apply").select("vc.applied")
    at.run()
    at.button(key="apply_codes").click()
    at.run()
    s16, _ = _respondent_offsets("meteen")
    _select(at, ids, {"id": "sent-1", "turn": 1, "action": "sentence", "start16": s16, "end16": s16})
    at.multiselect(key="codes_to_apply").select("vc.realised")
    at.run()
    at.button(key="apply_codes").click()
    at.run()
    assert sorted(_stored(url, ids)) == [
        ("vc.applied", "Sanne", "Ik kreeg een tip van Jörg. Die heb ik meteen gebruikt, en dat scheelde ons weken."),
        ("vc.realised", "Sanne", "Die heb ik meteen gebruikt, en dat scheelde ons weken."),
    ]


def test_only_my_codings_and_undo(opened) -> None:  # type: ignore[no-untyped-def]
    at, ids, url = opened
    with write_session(get_engine(url)) as s:
        project = get_project(s, ids[0])
        from cases.projects import get_document

        document = get_document(s, project, ids[1])
        other, _ = get_or_create_coder(s, project, "Lieke")
        start = TEXT.index("een tip")
        apply_coding(s, project, document, other, start, start + 7, ["vc.potential.human"])
    at.run()
    assert any("(1)" in e.label for e in at.expander if e.label.startswith("Codings in this document")), [e.label for e in at.expander]
    at.toggle(key="only_mine").set_value(True).run()
    assert any("(0)" in e.label for e in at.expander if e.label.startswith("Codings in this document"))
    _select(at, ids, {"id": "turn-2", "turn": 1, "action": "turn"})
    at.multiselect(key="codes_to_apply").select("vc.immediate")
    at.run()
    at.button(key="apply_codes").click()
    at.run()
    assert len(_stored(url, ids)) == 2
    undo = at.button(key="undo")
    # the description is Markdown-escaped (transcript text is shown literally): compare what a person reads
    assert "↶ Undo: Immediate value on “Ik kreeg een tip van …” in gesprek, turn 2" in \
        [c.value.replace("\\", "") for c in at.caption]
    assert undo.label == "↶ Undo"
    undo.click()
    at.run()
    assert not at.exception
    assert _stored(url, ids) == [("vc.potential.human", "Lieke", "een tip")]
    assert [m.value.replace("\\", "") for m in at.success] == [
        "Undone: Immediate value on “Ik kreeg een tip van …” in gesprek, turn 2."]
    assert at.button(key="redo").label == "↷ Redo"


def test_memo_on_a_segment_beside_the_text(opened) -> None:  # type: ignore[no-untyped-def]
    at, ids, url = opened
    _select(at, ids, {"id": "turn-3", "turn": 1, "action": "turn"})
    at.multiselect(key="codes_to_apply").select("vc.applied")
    at.run()
    at.button(key="apply_codes").click()
    at.run()
    at.text_area(key="segment_memo_text").input("Toegepast: de tip is meteen gebruikt.")
    next(b for b in at.button if b.label == "Save segment memo").click()
    at.run()
    assert not at.exception
    from coding.memos import list_memos

    with read_session(get_engine(url)) as s:
        memos = list_memos(s, get_project(s, ids[0]), "segment")
    assert [m.text for m in memos] == ["Toegepast: de tip is meteen gebruikt."]
    # visible beside the text afterwards (not only on the Memos page), and the segment is marked in the text
    assert "1 memo on this document and its segments; a coded segment with a memo ends in ✎ in the text." in [
        c.value for c in at.caption]
    at.session_state["coding_memo_open"] = True
    at.run()
    assert md_escape("Toegepast: de tip is meteen gebruikt.") in [m.value for m in at.markdown]
    assert any(c.value.startswith(md_escape("on “Ik kreeg een tip")) and "turn 2" in c.value for c in at.caption)
    (component,) = at.get("bidi_component")
    marked = [h for turn in json.loads(component.proto.json)["turns"] for h in turn["highlights"] if h["memo"]]
    assert [h["codes"] for h in marked] == [["vc.applied"]]  # the segment with the memo, and only that one


def test_suggestions_are_accepted_or_rejected_by_a_person(opened) -> None:  # type: ignore[no-untyped-def]
    at, ids, url = opened
    assert not [b for b in at.button if b.key == "make_suggestions"]  # drawn only once its expander is open
    at.session_state["coding_suggestions_open"] = True  # the researcher opens "Suggestions"
    at.run()
    at.radio(key="suggest_method").set_value("indicator terms").run()
    at.button(key="make_suggestions").click()
    at.run()
    assert not at.exception
    prefix = f"sugg_suggestions_{ids[1]}_"
    boxes = [cb for cb in at.checkbox if (cb.key or "").startswith(prefix)]
    assert boxes, "the transcript mentions a tip, which vc.immediate's indicator terms should suggest"
    assert _stored(url, ids) == []  # suggesting codes nothing
    for cb in boxes[1:]:
        cb.uncheck()
    at.run()
    at.button(key=f"accept_suggestions_{ids[1]}").click()
    at.run()
    assert not at.exception
    from sqlalchemy import select

    from coding.codings import list_codings as codings_of
    from store.models import Coding, SuggestionRejection

    with read_session(get_engine(url)) as s:
        stored = codings_of(s, get_project(s, ids[0]))
        assert len(stored) == 1 and stored[0].coder == "Sanne"
        assert s.scalars(select(Coding.origin)).all() == ["suggestion"]
    remaining = [cb for cb in at.checkbox if (cb.key or "").startswith(prefix)]
    assert len(remaining) == len(boxes) - 1
    if remaining:
        for cb in remaining:
            cb.check()
        at.run()
        at.button(key=f"reject_suggestions_{ids[1]}").click()
        at.run()
        assert not [cb for cb in at.checkbox if (cb.key or "").startswith(prefix)]
        assert len(_stored(url, ids)) == 1
        with read_session(get_engine(url)) as s:  # a rejection is kept: asked again, it is not offered
            assert len(s.scalars(select(SuggestionRejection)).all()) == len(remaining)
        at.button(key="make_suggestions").click()
        at.run()
        assert not [cb for cb in at.checkbox if (cb.key or "").startswith(prefix)]


def test_edit_a_coding_of_the_turn_in_focus(opened) -> None:  # type: ignore[no-untyped-def]
    at, ids, url = opened
    _select(at, ids, {"id": "turn-9", "turn": 1, "action": "turn"})
    at.multiselect(key="codes_to_apply").select("vc.applied")
    at.run()
    at.button(key="apply_codes").click()
    at.run()
    at.selectbox(key="edit_new_code").set_value("vc.realised")
    content_start = TEXT.index("Ik kreeg")
    at.number_input(key="edit_start").set_value(content_start + 3)  # narrow: "kreeg ..." onwards
    next(b for b in at.button if b.label == "Save").click()
    at.run()
    assert not at.exception
    [(code, coder, text)] = _stored(url, ids)
    assert (code, coder) == ("vc.realised", "Sanne") and text.startswith("kreeg een tip")


def test_a_link_with_a_turn_but_no_document_keeps_the_turn(monkeypatch, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    with write_session(get_engine(sqlite_url)) as s:
        project = create_project(s, "Positie")
        adopt_codebook(s, project, "value-creation")
        store_import(s, project, preview_import("p.txt", TEXT.encode()), cases=[])
        guid = str(project.guid)
    at = make_app(monkeypatch, sqlite_url, project_guid=guid, coder="Sanne")
    at.query_params["turn"] = "1"
    at.run()
    at.switch_page("pages/coding.py").run()
    assert not at.exception
    assert at.query_params["turn"] == "1" and at.query_params["document"]


def test_a_memo_on_the_document_from_its_expander(opened) -> None:  # type: ignore[no-untyped-def]
    at, ids, url = opened
    assert not [t for t in at.text_area if t.key == "document_memo_text"]  # drawn only once opened
    at.session_state["coding_memo_open"] = True
    at.run()
    at.text_area(key="document_memo_text").input("Het gesprek ging vooral over tips.")
    next(b for b in at.button if b.label == "Save memo").click()
    at.run()
    assert not at.exception
    assert shown(at.success) == ["Memo saved."]
    assert md_escape("Het gesprek ging vooral over tips.") in [m.value for m in at.markdown]  # listed beside the text
    assert any(c.value.startswith("on the document") for c in at.caption)
    from coding.memos import list_memos

    with read_session(get_engine(url)) as s:
        memos = list_memos(s, get_project(s, ids[0]), "document")
    assert [m.text for m in memos] == ["Het gesprek ging vooral over tips."]


def test_undo_is_not_offered_when_it_would_take_another_coders_code(opened) -> None:  # type: ignore[no-untyped-def]
    at, ids, url = opened
    _select(at, ids, {"id": "turn-4", "turn": 1, "action": "turn"})
    at.multiselect(key="codes_to_apply").select("vc.applied")
    at.run()
    at.button(key="apply_codes").click()
    at.run()
    from coding.workspace import add_code_to_segment

    with write_session(get_engine(url)) as s:
        project = get_project(s, ids[0])
        [coding] = list_codings(s, project)
        add_code_to_segment(s, project, coding.segment, "vc.realised", actor="Lieke")
    at.run()
    assert not at.exception
    assert not any(b.key == "undo" for b in at.button)
    reasons = [c.value.replace("\\", "") for c in at.caption if "not offered" in c.value]
    assert reasons == ["↶ Undo: Applied value on “Ik kreeg een tip van …” in gesprek, turn 2 — not offered: "
                       "Lieke changed this segment after you (added vc.realised)."]
    assert len(_stored(url, ids)) == 2


def test_without_a_name_nothing_can_be_coded_or_undone(monkeypatch, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    with write_session(get_engine(sqlite_url)) as s:
        project = create_project(s, "Naamloos")
        adopt_codebook(s, project, "value-creation")
        document = store_import(s, project, preview_import("gesprek.txt", TEXT.encode()), cases=[], speakers={
            "I": SpeakerDecision("interviewer"), "R": SpeakerDecision("respondent")})
        coder, _ = get_or_create_coder(s, project, "app")
        apply_coding(s, project, document, coder, 3, 6, ["vc.immediate"], actor="app")  # an old anonymous coding
        ids = str(project.guid), str(document.guid)
    at = make_app(monkeypatch, sqlite_url, project_guid=ids[0], coder=None)
    at.query_params["document"] = ids[1]
    at.run()
    at.switch_page("pages/coding.py").run()
    assert any("give your name under 'Your name' in the sidebar first" in w for w in shown(at.warning))
    _select(at, ids, {"id": "turn-5", "turn": 1, "action": "turn"})
    at.multiselect(key="codes_to_apply").select("vc.applied")
    at.run()
    assert at.button(key="apply_codes").disabled
    assert not any(b.key in ("undo", "redo") for b in at.button)  # the shared anonymous name has no history


def test_a_new_code_is_made_and_applied_from_the_picker(opened) -> None:  # type: ignore[no-untyped-def]
    at, ids, url = opened
    s16, e16 = _respondent_offsets("meteen gebruikt")
    _select(at, ids, {"id": "sel-new", "turn": 1, "start16": s16, "end16": e16})
    at.text_input(key="new_code_name").input("Directe toepassing")
    at.selectbox(key="new_code_parent").set_value("vc.applied")
    at.text_area(key="new_code_definition").input("Iets meteen in het eigen werk gebruiken.")
    next(b for b in at.button if b.label == "Create and apply").click()
    at.run()
    assert not at.exception, at.exception
    assert shown(at.success) == ["New code vc.applied.directe-toepassing created and applied."]
    assert _stored(url, ids) == [("vc.applied.directe-toepassing", "Sanne", "meteen gebruikt")]
    assert not any(m.value.startswith("**Selected**") for m in at.markdown)  # the selection is done


def test_a_new_code_for_a_span_that_cannot_be_coded_leaves_no_code_behind(engine) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from coding.codings import code_with_a_new_code
    from store.errors import Refused
    from store.models import Code

    with write_session(engine) as s:
        project = create_project(s, "Nieuw")
        adopt_codebook(s, project, "value-creation")
        document = store_import(s, project, preview_import("p.txt", TEXT.encode()), cases=[])
        coder, _ = get_or_create_coder(s, project, "Sanne")
        code, segment = code_with_a_new_code(s, project, document, coder, 3, 10, codebook="vc", label="Vertrouwen")
        parent = s.get(Code, code.parent_id)
        assert (code.key, parent.key, segment.start) == ("vc.vertrouwen", "vc", 3)  # under the vc folder
        before = s.scalar(select(func.count()).select_from(Code))
    with pytest.raises(Refused, match="outside document"), write_session(engine) as s:
        project = s.scalar(select(type(project)))
        code_with_a_new_code(s, project, get_document(s, project, str(document.guid)), coder, 0, 10**6,
                             codebook="vc", label="Vertrouwen")
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Code)) == before
