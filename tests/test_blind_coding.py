"""Blind double coding (issue 13): while a document is given blind to a second coder, that coder's pages and
command-line output contain nothing of the first coder's codings on it (no segment, no memo, no count), the
analyses that pool codings are closed to them, and after the owner reveals it everything is there again.

Anna codes two interviews; only she uses "vc.transformative", and only in the first, where she also writes a
segment memo and a document memo with a marker. The first interview is given blind to Bram, who codes it too.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from apptest_support import make_app, shown  # noqa: E402

import cli  # noqa: E402
from cases.importer import SpeakerDecision, preview_import, store_import  # noqa: E402
from cases.projects import create_case, create_project, get_document, get_or_create_coder, get_project  # noqa: E402
from codebooks.service import adopt_codebook  # noqa: E402
from coding.assignments import (  # noqa: E402
    assign_documents,
    blind_scope,
    finish_assignment,
    list_assignments,
    reveal_assignment,
)
from coding.codings import apply_coding  # noqa: E402
from coding.memos import add_memo  # noqa: E402
from store.db import get_engine, read_session, write_session  # noqa: E402
from store.errors import Refused  # noqa: E402
from store.models import Coding, Event, Segment  # noqa: E402

P = "Dubbel"
EERSTE = ("I: Wat heeft het netwerk veranderd?\n"
          "R: We kijken nu anders naar succes: niet meer omzet, maar wat de regio eraan heeft.\n"
          "I: En concreet?\n"
          "R: We hebben samen een opleiding opgezet en die draait nu bij drie bedrijven.\n")
TWEEDE = "I: Wat leverde de eerste bijeenkomst op?\nR: Vooral nieuwe contacten over de grens.\n"
MARKERS = ("GEHEIMANNASEGMENT", "GEHEIMANNADOCUMENT")


def build(engine) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The study; returns the guids of Anna's segments on the first interview."""
    speakers = {"I": SpeakerDecision("interviewer"), "R": SpeakerDecision("respondent")}
    with write_session(engine) as s:
        project = create_project(s, P)
        adopt_codebook(s, project, "value-creation")
        case = create_case(s, project, "Oost")
        eerste = store_import(s, project, preview_import("eerste.txt", EERSTE.encode()), cases=[case], speakers=speakers)
        tweede = store_import(s, project, preview_import("tweede.txt", TWEEDE.encode()), cases=[case], speakers=speakers)
        anna, _ = get_or_create_coder(s, project, "Anna")
        at = EERSTE.index("We kijken")
        apply_coding(s, project, eerste, anna, at, at + 40, ["vc.transformative"], actor="Anna")
        at2 = EERSTE.index("We hebben")
        segment = apply_coding(s, project, eerste, anna, at2, at2 + 35, ["vc.transformative", "vc.realised"],
                               actor="Anna")
        add_memo(s, project, f"{MARKERS[0]} opleiding", target=segment, author=anna, actor="Anna")
        add_memo(s, project, f"{MARKERS[1]} over het gesprek", target=eerste, author=anna, actor="Anna")
        at3 = TWEEDE.index("Vooral")
        apply_coding(s, project, tweede, anna, at3, at3 + 20, ["vc.immediate"], actor="Anna")
        assert assign_documents(s, project, "Bram", ["eerste"], actor="Anna") == ["eerste"]
        bram, _ = get_or_create_coder(s, project, "Bram")
        apply_coding(s, project, eerste, bram, at2, at2 + 20, ["vc.applied"], actor="Bram")
        hidden = [str(g) for g in s.scalars(select(Segment.guid).where(Segment.document_id == eerste.id,
                                                                        Segment.coder_id == anna.id))]
        hidden += [str(g) for g in s.scalars(select(Coding.guid).join(Segment).where(
            Segment.document_id == eerste.id, Segment.coder_id == anna.id))]
    return {"hidden": hidden, "guid": str(project.guid), "eerste": str(eerste.guid)}


def run(capsys, url: str, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    capsys.readouterr()
    code = cli.main(["--db", url, *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_second_coder_sees_nothing_of_the_first_on_the_command_line(capsys, db_url):
    study = build(get_engine(db_url))
    outputs = []
    for args in (["codings", "--project", P, "--format", "json"],
                 ["retrieve", "--project", P, "--code", "vc", "--format", "json"],
                 ["memos", "--project", P, "--format", "json"],
                 ["suggest", "--project", P, "--document", "eerste", "--format", "json"],
                 ["assignments", "--project", P, "--format", "json"]):
        code, out, err = run(capsys, db_url, "--as", "Bram", *args)
        assert code == 0, (args, err)
        outputs.append(out)
    everything = "\n".join(outputs)
    assert not [marker for marker in (*MARKERS, *study["hidden"]) if marker in everything]
    assert "vc.transformative" not in "\n".join(outputs[:3])  # only Anna used it, only on 'eerste'
    # the suggestions skip only what Bram coded: Anna's sentence is suggested to him as if nobody had coded it
    assert {s["code"] for s in json.loads(outputs[3])} >= {"vc.transformative"}
    codings = json.loads(outputs[0])
    assert sorted((c["document"], c["coder"]) for c in codings) == [("eerste", "Bram"), ("tweede", "Anna")]
    for args in (["matrix", "--project", P, "--rows", "cases", "--cols", "codebook:vc"],
                 ["cells", "--project", P], ["case-report", "--project", P, "--case", "Oost", "--out", "x.docx"],
                 ["agreement", "--project", P, "--coders", "Anna,Bram", "--codebook", "vc"]):
        code, out, err = run(capsys, db_url, "--as", "Bram", *args)
        assert code == 1 and "you are coding 'eerste' blind" in err, (args, err)
        assert not out
    # Anna (not blind) sees both; Bram says he finished, the owner reveals, and Bram sees Anna's work
    code, out, _ = run(capsys, db_url, "--as", "Anna", "codings", "--project", P, "--format", "json")
    assert {c["coder"] for c in json.loads(out)} == {"Anna", "Bram"}
    assert run(capsys, db_url, "--as", "Anna", "assignment-finish", "--project", P, "--document", "eerste",
               "--coder", "Bram")[2] == "error: only Bram can say they finished their double coding\n"
    code, _, err = run(capsys, db_url, "--as", "Anna", "assignment-reveal", "--project", P, "--document", "eerste",
                       "--coder", "Bram")
    assert code == 1 and "Bram has not said they finished 'eerste'" in err
    assert run(capsys, db_url, "--as", "Bram", "assignment-finish", "--project", P, "--document", "eerste")[0] == 0
    assert run(capsys, db_url, "--as", "Anna", "assignment-reveal", "--project", P, "--document", "eerste",
               "--coder", "Bram")[0] == 0
    code, out, _ = run(capsys, db_url, "--as", "Bram", "codings", "--project", P, "--format", "json")
    assert sum(c["coder"] == "Anna" and c["document"] == "eerste" for c in json.loads(out)) == 3
    code, out, err = run(capsys, db_url, "--as", "Bram", "agreement", "--project", P, "--coders", "Anna,Bram",
                         "--codebook", "vc", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["documents"] == ["eerste"]
    with read_session(get_engine(db_url)) as s:
        logged = [(e.action, e.actor) for e in s.scalars(select(Event).where(Event.entity == "assignment")
                                                         .order_by(Event.id))]
    assert logged == [("assign", "Anna"), ("finish", "Bram"), ("reveal", "Anna")]


PAGES = ["pages/projects.py", "pages/cases.py", "pages/documents.py", "pages/coding.py", "pages/retrieve.py",
         "pages/matrices.py", "pages/charts.py", "pages/framework.py", "pages/agreement.py",
         "pages/presentation.py", "pages/codebooks.py", "pages/memos.py"]


def everything_shown(at) -> str:  # type: ignore[no-untyped-def]
    """Every element's message as sent to the browser (text, tables, the transcript component's data)."""
    return "\n".join(str(getattr(node, "proto", "")) for node in at._tree)


def test_the_second_coder_sees_nothing_of_the_first_on_any_page(monkeypatch, sqlite_url):
    study = build(get_engine(sqlite_url))
    at = make_app(monkeypatch, sqlite_url, project_guid=study["guid"], coder="Bram")
    at.query_params["document"] = study["eerste"]
    at.run()
    seen, closed = [], []
    for page in PAGES:
        at.switch_page(page)
        at.run()
        assert not at.exception, (page, at.exception)
        if page == "pages/retrieve.py":
            at.multiselect(key="retrieve_codes").set_value(["vc"]).run()
        if page == "pages/codebooks.py":
            assert "(0 codings" in next(e.label for e in at.expander if "vc.transformative" in e.label)
        seen.append(everything_shown(at))
        if any("You are coding 'eerste' blind" in text for text in shown(at.info)):
            closed.append(page)
    everything = "\n".join(seen)
    assert not [marker for marker in (*MARKERS, *study["hidden"]) if marker in everything]
    assert closed == ["pages/cases.py", "pages/matrices.py", "pages/charts.py", "pages/framework.py", "pages/agreement.py",
                      "pages/presentation.py"]
    assert "Bram" in everything  # his own work is there
    # the Coding page says the document is blind and takes his "finished"
    at.switch_page("pages/coding.py")
    at.run()
    assert any("You code 'eerste' blind" in text for text in shown(at.info)), shown(at.info)
    next(b for b in at.button if b.label == "I have finished coding this document").click()
    at.run()
    assert not at.exception
    with read_session(get_engine(sqlite_url)) as s:
        assert [a.state for a in list_assignments(s, get_project(s, P))] == ["finished, waiting to be revealed"]


def test_the_owner_assigns_a_seeded_sample_and_reveals_on_the_agreement_page(monkeypatch, sqlite_url):
    study = build(get_engine(sqlite_url))
    at = make_app(monkeypatch, sqlite_url, project_guid=study["guid"], coder="Anna")
    at.run()
    at.switch_page("pages/agreement.py")
    at.run()
    assert not at.exception
    table = at.dataframe[0].value
    assert table.to_dict("records") == [{"document": "eerste", "second coder": "Bram", "state": "coding blind",
                                         "assigned by": "Anna"}]
    at.selectbox(key="assign_coder").set_value("Bram")
    at.number_input(key="assign_sample").set_value(1)
    next(b for b in at.button if b.label == "Assign").click()
    at.run()
    assert not at.exception
    assert shown(at.success) == ["Gave 1 document(s) to Bram (blind): tweede"]  # the one left to draw
    at.checkbox(key=next(c.key for c in at.checkbox if c.key.startswith("early_"))).check()
    at.run()
    next(b for b in at.button if b.label == "Reveal" and not b.disabled).click()
    at.run()
    assert not at.exception
    with read_session(get_engine(sqlite_url)) as s:
        states = sorted((a.coder, a.state) for a in list_assignments(s, get_project(s, P)))
    assert states == [("Bram", "coding blind"), ("Bram", "revealed by Anna")]


def test_assignment_rules(engine):
    build(engine)
    with write_session(engine) as s:
        project = get_project(s, P)
        with pytest.raises(Refused, match="Bram has already coded 'tweede'"):
            bram, _ = get_or_create_coder(s, project, "Bram")
            tweede = get_document(s, project, "tweede")
            apply_coding(s, project, tweede, bram, 0, 5, ["vc.immediate"], actor="Bram")
            assign_documents(s, project, "Bram", ["tweede"], actor="Anna")
    with write_session(engine) as s:
        project = get_project(s, P)
        first = assign_documents(s, project, "Carla", sample=1, seed=7, actor="Anna")
        with pytest.raises(Refused, match="only 2 document"):
            assign_documents(s, project, "Dirk", sample=3, seed=7, actor="Anna")
    with write_session(engine) as s:  # the same seed draws the same document for another coder
        project = get_project(s, P)
        assert assign_documents(s, project, "Eva", sample=1, seed=7, actor="Anna") == first
        assert assign_documents(s, project, "Eva", ["eerste", "tweede"], actor="Anna") == sorted(
            {"eerste", "tweede"} - set(first))
        with pytest.raises(Refused, match="only Eva can say"):
            finish_assignment(s, project, "eerste", coder="Eva", actor="Anna")
        assert reveal_assignment(s, project, "eerste", coder="Bram", force=True, actor="Anna") == "eerste"
        assert not blind_scope(s, project, "Bram").active
        assert blind_scope(s, project, "Eva").active
