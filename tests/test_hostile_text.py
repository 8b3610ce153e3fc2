"""Everything people type is shown as text on every page: never as Markdown (an image tag there makes every
viewer's browser fetch an address; ** turns bold), in bodies, labels, help texts, messages and refusals alike.

One project is seeded with a Markdown payload in every name and text a person writes: project, case, person,
coder, attribute name and value, document title, codebook source, code label, definition and include/exclude
rules, memo, cell summary, story title and step note, focus-group session. Every page is run with AppTest and every string Streamlit renders
as Markdown is checked: the payload may appear only escaped.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest
sys.path.insert(0, str(Path(__file__).resolve().parent))

from apptest_support import make_app  # noqa: E402

from analysis.framework_matrix import save_cell  # noqa: E402
from cases.attributes import set_attribute  # noqa: E402
from cases.importer import SpeakerDecision, preview_import, store_import  # noqa: E402
from cases.projects import create_case, create_person, create_project, get_or_create_coder  # noqa: E402
from cases.renames import rename_document  # noqa: E402
from codebooks.service import add_code, adopt_codebook  # noqa: E402
from coding.codings import apply_coding  # noqa: E402
from coding.memos import add_memo  # noqa: E402
from coding.stories import add_step, create_story  # noqa: E402
from focusgroups.sessions import create_session  # noqa: E402
from store.db import get_engine, write_session  # noqa: E402

PAYLOAD = "![i](http://127.0.0.1:8999/x.png) **vet**"
RENDERED = ("![i](", "**vet**")  # either, unescaped, in Markdown source means the payload was rendered
TEXT = "I: Wat bracht het netwerk?\nR: We leerden veel van elkaar.\n"
PAGES = ("projects", "cases", "documents", "coding", "retrieve", "codebooks", "memos", "matrices", "charts",
         "framework", "stories", "presentation")


@pytest.fixture
def hostile(sqlite_url):  # type: ignore[no-untyped-def]
    with write_session(get_engine(sqlite_url)) as s:
        project = create_project(s, f"Studie {PAYLOAD}")
        adopt_codebook(s, project, "value-creation").source = f"Bron {PAYLOAD}"
        code = add_code(s, project, "vc", "vc.mine", f"Eigen {PAYLOAD}", parent_key="vc.applied",
                        definition=f"Definitie {PAYLOAD}")
        code.include_rule, code.exclude_rule = f"Wel {PAYLOAD}", f"Niet {PAYLOAD}"
        case = create_case(s, project, f"Oost {PAYLOAD}")
        create_person(s, project, f"Anna {PAYLOAD}", pseudonym=f"R1 {PAYLOAD}")
        set_attribute(s, project, case, f"regio {PAYLOAD}", f"waarde {PAYLOAD}", type_="category")
        document = store_import(s, project, preview_import("gesprek.txt", TEXT.encode()), cases=[case],
                                speakers={"I": SpeakerDecision("interviewer"), "R": SpeakerDecision("respondent")})
        rename_document(s, project, document, f"Gesprek {PAYLOAD}", actor="seed")
        coder, _ = get_or_create_coder(s, project, f"Sanne {PAYLOAD}")
        start = TEXT.index("We leerden")
        segment = apply_coding(s, project, document, coder, start, start + 20, ["vc.mine"], actor=coder.name)
        add_memo(s, project, f"Memo {PAYLOAD}", target=segment, author=coder, actor=coder.name)
        add_memo(s, project, f"Projectmemo {PAYLOAD}", author=coder, actor=coder.name)
        save_cell(s, project, case.name, "vc.applied", summary=f"Samenvatting {PAYLOAD}.", actor=coder.name)
        story = create_story(s, project, case, f"Verhaal {PAYLOAD}", actor=coder.name)
        add_step(s, project, story, segment.guid, note=f"Omdat {PAYLOAD}", actor=coder.name)
        fg = create_session(s, project, f"Sessie {PAYLOAD}", date(2026, 11, 20),
                            attendees={f"rol {PAYLOAD}": 2}, actor=coder.name)
        return sqlite_url, str(project.guid), str(document.guid), str(fg.guid)


def _markdown_strings(node) -> list[str]:  # type: ignore[no-untyped-def]
    """Every string of the element tree that Streamlit renders as Markdown: bodies, labels, help texts."""
    found = []
    proto = getattr(node, "proto", None)
    if proto is not None:
        for field in ("body", "label", "help"):
            value = getattr(proto, field, None)
            if isinstance(value, str) and value:
                found.append(value)
        for block in ("expandable", "tab"):
            if hasattr(proto, "HasField") and block in [f.name for f in proto.DESCRIPTOR.fields] \
                    and proto.HasField(block):
                found.append(getattr(proto, block).label)
    for child in (getattr(node, "children", None) or {}).values():
        found.extend(_markdown_strings(child))
    return found


def _rendered(at) -> list[str]:  # type: ignore[no-untyped-def]
    return [text for text in _markdown_strings(at._tree) if any(marker in text for marker in RENDERED)]


@pytest.mark.parametrize("page", PAGES)
def test_no_page_renders_typed_text_as_markdown(monkeypatch, hostile, page) -> None:  # type: ignore[no-untyped-def]
    url, guid, document, fg = hostile
    at = make_app(monkeypatch, url, project_guid=guid, coder=f"Sanne {PAYLOAD}")
    at.query_params["document"] = document
    at.run()
    at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception, at.exception
    assert _rendered(at) == []
    # and a missing value in any table reads "—", never the word "None"
    assert [d.proto.placeholder for d in at.dataframe] == ["—"] * len(at.dataframe)
    if page == "presentation":  # presenting the session: the matrix, then the story walk
        at.query_params["fg"] = fg
        at.query_params["present"] = "1"
        at.run()
        assert not at.exception, at.exception
        assert at.radio(key="pres_what").value == "matrix"  # really presenting, not back at the set-up
        assert _rendered(at) == []
        at.radio(key="pres_what").set_value("stories").run()
        assert not at.exception, at.exception
        assert [h.value for h in at.header] and _rendered(at) == []


def test_a_refusal_that_names_typed_text_shows_it_as_text(monkeypatch, hostile) -> None:  # type: ignore[no-untyped-def]
    url, guid, _document, _fg = hostile
    at = make_app(monkeypatch, url, project_guid=guid, coder="Sanne")
    at.run()
    at.switch_page("pages/cases.py")
    at.run()
    new_case = next(t for t in at.text_input if "case" in t.label.lower())
    new_case.input(f"Oost {PAYLOAD}")
    next(b for b in at.button if "case" in b.label.lower() and "create" in b.label.lower()).click()
    at.run()
    assert not at.exception, at.exception
    assert at.error, "the duplicate case name was not refused"
    assert _rendered(at) == []
